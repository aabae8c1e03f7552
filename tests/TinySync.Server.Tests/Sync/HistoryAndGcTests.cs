using Microsoft.Extensions.DependencyInjection;
using TinySync.Core.Chunking;
using TinySync.Core.Contracts;
using TinySync.Server.Blobs;
using TinySync.Server.Storage;
using TinySync.Server.Storage.Sql;
using TinySync.Server.Tests.Support;

namespace TinySync.Server.Tests.Sync;

public sealed class HistoryAndGcTests_Sqlite(ServerFixture fixture) : HistoryAndGcTests(fixture), IClassFixture<ServerFixture>;

public sealed class HistoryAndGcTests_Postgres(PostgresServerFixture fixture) : HistoryAndGcTests(fixture), IClassFixture<PostgresServerFixture>;

public abstract class HistoryAndGcTests(ServerFixture fixture)
{
    static readonly TimeSpan Retention = TimeSpan.FromDays(30);

    TestServer Server => fixture.Server;

    Task<GcReport> CollectAsync(TimeSpan later) =>
        Server.App.Services.GetRequiredService<IStore>().CollectGarbageAsync(
            DateTimeOffset.UtcNow + later, Retention, Server.App.Services.GetRequiredService<IChunkStore>(), CancellationToken.None);

    Task<bool> StoredAsync(string hash) => Server.ChunkStoredAsync(hash);

    [Fact]
    public async Task History_lists_the_retained_versions_of_a_path_newest_first_with_their_chunks()
    {
        using var a = await SyncClient.CreateAsync(Server);
        var v1 = await a.PutFileAsync("notes.txt", "one"u8.ToArray());
        var v2 = await a.PutFileAsync("notes.txt", "two!"u8.ToArray(), v1);
        await a.OkAsync(Ops.Empty("other.txt"));
        var moved = await a.OkAsync(Ops.Move("notes.txt", "Notes.md", v2));

        var old = await a.HistoryAsync("NOTES.TXT");
        old.Path.ShouldBe("NOTES.TXT");
        old.Versions.Select(v => (v.Seq, v.Kind)).ShouldBe([(moved, OpKind.Move), (v2, OpKind.Put), (v1, OpKind.Put)]);
        old.Versions[1].Chunks.ShouldBe([ChunkHash.Compute("two!"u8)]);
        old.Versions[2].Size.ShouldBe(3);
        old.Versions.ShouldAllBe(v => v.DeviceId == a.DeviceId);
        var renamed = await a.HistoryAsync("notes.md");
        renamed.Versions.Select(v => (v.Seq, v.Path)).ShouldBe([(moved, "Notes.md"), (v2, "notes.txt"), (v1, "notes.txt")],
            "the history follows the file back to its earlier name");
        renamed.Versions[0].MovedFrom.ShouldBe("notes.txt");

        // Restoring is a put of the old chunks, which the vault still holds.
        var restored = await a.OkAsync(Ops.Put("notes.txt", 0, 3, [.. old.Versions[2].Chunks!]));
        (await a.HistoryAsync("notes.txt")).Versions[0].Seq.ShouldBe(restored);
    }

    [Fact]
    public async Task History_refuses_bad_paths_and_unknown_containers()
    {
        using var a = await SyncClient.CreateAsync(Server);
        await (await a.Http.GetAsync($"{a.Base}/history?path=..%2Fx")).ShouldBeProblemAsync(400, ProblemCodes.InvalidPath);
        await (await a.Http.GetAsync($"{a.Base}/history")).ShouldBeProblemAsync(400, ProblemCodes.InvalidPath);
        await (await a.Http.GetAsync($"{a.Base}/history?path=x&container=nope")).ShouldBeProblemAsync(404, ProblemCodes.ContainerNotFound);
    }

    [Fact]
    public async Task Garbage_collection_keeps_live_and_retained_chunks_and_removes_the_rest_after_the_retention_window()
    {
        using var a = await SyncClient.CreateAsync(Server);
        var live = await a.UploadAsync("live"u8.ToArray());
        var v1 = await a.OkAsync(Ops.Put("f", 0, 4, live));
        var replaced = await a.UploadAsync("old-version"u8.ToArray());
        var v2 = await a.OkAsync(Ops.Put("g", 0, 11, replaced));
        var current = await a.UploadAsync("new-version"u8.ToArray());
        await a.OkAsync(Ops.Put("g", v2, 11, current));
        var neverUsed = await a.UploadAsync("uploaded, never committed"u8.ToArray());
        v1.ShouldBeGreaterThan(0);

        await CollectAsync(TimeSpan.FromDays(10));
        (await a.MissingAsync(live, replaced, current, neverUsed)).ShouldBeEmpty("inside the retention window everything stays");

        await CollectAsync(TimeSpan.FromDays(31));
        (await a.MissingAsync(live, replaced, current, neverUsed)).ShouldBe([replaced, neverUsed]);
        (await StoredAsync(live)).ShouldBeTrue();
        (await StoredAsync(current)).ShouldBeTrue();
        (await StoredAsync(replaced)).ShouldBeFalse();
        (await StoredAsync(neverUsed)).ShouldBeFalse();
        (await a.OneAsync(Ops.Put("h", 0, 11, replaced))).Code.ShouldBe(RejectCodes.MissingChunks);
        (await a.Http.GetByteArrayAsync($"{a.Base}/chunks/{live}")).ShouldBe("live"u8.ToArray());
    }

    [Fact]
    public async Task A_chunk_another_vault_still_holds_keeps_its_bytes_when_one_vault_lets_go()
    {
        using var a = await SyncClient.CreateAsync(Server, "a");
        using var b = await SyncClient.CreateAsync(Server, "b");
        var bytes = "shared between vaults"u8.ToArray();
        var hash = await a.UploadAsync(bytes);
        await b.UploadAsync(bytes);
        await b.OkAsync(Ops.Put("kept", 0, bytes.Length, hash));

        await CollectAsync(TimeSpan.FromDays(31));
        (await a.MissingAsync(hash)).ShouldBe([hash]);
        (await b.MissingAsync(hash)).ShouldBeEmpty();
        (await StoredAsync(hash)).ShouldBeTrue();
    }

    [Fact]
    public async Task Uploading_a_chunk_again_restarts_its_retention_window()
    {
        using var a = await SyncClient.CreateAsync(Server);
        var bytes = "re-uploaded"u8.ToArray();
        var hash = await a.UploadAsync(bytes);
        var store = (SqlStore)Server.App.Services.GetRequiredService<IStore>();
        var blobs = Server.App.Services.GetRequiredService<IChunkStore>();
        await store.RegisterChunkAsync(a.VaultId, a.DeviceId, hash, bytes, blobs, DateTimeOffset.UtcNow + TimeSpan.FromDays(20), CancellationToken.None);
        await CollectAsync(TimeSpan.FromDays(31));
        (await a.MissingAsync(hash)).ShouldBeEmpty();
    }
}
