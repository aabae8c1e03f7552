using Microsoft.Extensions.DependencyInjection;
using TinySync.Core.Chunking;
using TinySync.Core.Contracts;
using TinySync.Server.Blobs;
using TinySync.Server.Storage;
using TinySync.Server.Tests.Support;

namespace TinySync.Server.Tests.Sync;

public sealed class HistoryAcrossMovesTests_Sqlite(ServerFixture fixture) : HistoryAcrossMovesTests(fixture), IClassFixture<ServerFixture>;

public sealed class HistoryAcrossMovesTests_Postgres(PostgresServerFixture fixture) : HistoryAcrossMovesTests(fixture), IClassFixture<PostgresServerFixture>;

/// <summary>History that follows the item (decision 0321), and the deleted files still restorable, over the wire.</summary>
public abstract class HistoryAcrossMovesTests(ServerFixture fixture)
{
    TestServer Server => fixture.Server;

    IStore Store => Server.App.Services.GetRequiredService<IStore>();

    [Fact]
    public async Task History_follows_a_file_back_across_its_own_rename_with_the_content_it_had()
    {
        using var a = await SyncClient.CreateAsync(Server, "Ada's laptop");
        var v1 = await a.PutFileAsync("a.txt", "one"u8.ToArray());
        var v2 = await a.PutFileAsync("a.txt", "two!"u8.ToArray(), v1);
        var moved = await a.OkAsync(Ops.Move("a.txt", "b.txt", v2));
        var v3 = await a.PutFileAsync("b.txt", "three"u8.ToArray(), moved);

        var history = await a.HistoryAsync("b.txt");

        history.Versions.Select(v => (v.Seq, v.Kind, v.Path)).ShouldBe(
            [(v3, OpKind.Put, "b.txt"), (moved, OpKind.Move, "b.txt"), (v2, OpKind.Put, "a.txt"), (v1, OpKind.Put, "a.txt")]);
        history.Versions[1].MovedFrom.ShouldBe("a.txt");
        history.Versions[1].Chunks.ShouldBe([ChunkHash.Compute("two!"u8)], "a move keeps the content, so it is restorable like the put before it");
        history.Versions.ShouldAllBe(v => v.DeviceName == "Ada's laptop");
    }

    [Fact]
    public async Task History_follows_a_file_back_across_a_move_of_its_parent_folder_and_not_a_file_made_after_it()
    {
        using var a = await SyncClient.CreateAsync(Server);
        var docs = await a.OkAsync(Ops.Mkdir("Docs"));
        await a.OkAsync(Ops.Mkdir("Docs/sub"));
        var v1 = await a.PutFileAsync("Docs/sub/f.md", "draft"u8.ToArray());
        var v2 = await a.PutFileAsync("Docs/sub/f.md", "final"u8.ToArray(), v1);
        var moved = await a.OkAsync(Ops.Move("Docs", "Archive", docs));
        var later = await a.PutFileAsync("Archive/sub/new.md", "new"u8.ToArray());

        var history = await a.HistoryAsync("archive/SUB/f.md");

        history.Versions.Select(v => (v.Seq, v.Kind, v.Path)).ShouldBe(
            [(moved, OpKind.Move, "Archive/sub/f.md"), (v2, OpKind.Put, "Docs/sub/f.md"), (v1, OpKind.Put, "Docs/sub/f.md")]);
        history.Versions[0].MovedFrom.ShouldBe("Docs/sub/f.md");
        history.Versions[0].Size.ShouldBe(5);
        (await a.HistoryAsync("Archive/sub/new.md")).Versions.Select(v => (v.Seq, v.Kind)).ShouldBe([(later, OpKind.Put)],
            "a file made in the folder after its move never was anywhere else");
    }

    [Fact]
    public async Task A_file_moved_with_its_folder_and_then_deleted_keeps_its_whole_history_under_its_last_path()
    {
        using var a = await SyncClient.CreateAsync(Server, "laptop");
        using var b = await a.PeerAsync(Server, "phone");
        var dir = await a.OkAsync(Ops.Mkdir("d"));
        var v1 = await a.PutFileAsync("d/f", "v1"u8.ToArray());
        var v2 = await b.PutFileAsync("d/f", "v2 by the phone"u8.ToArray(), v1);
        var moved = await a.OkAsync(Ops.Move("d", "e", dir));
        var deleted = await b.OkAsync(Ops.Delete("e", moved));

        var history = await a.HistoryAsync("e/f");

        history.Versions.Select(v => (v.Seq, v.Kind, v.Path, v.DeviceName)).ShouldBe(
        [
            (deleted, OpKind.Delete, "e/f", "phone"), (moved, OpKind.Move, "e/f", "laptop"),
            (v2, OpKind.Put, "d/f", "phone"), (v1, OpKind.Put, "d/f", "laptop"),
        ]);
        history.Versions[1].Chunks.ShouldBe([ChunkHash.Compute("v2 by the phone"u8)]);
        (await a.HistoryAsync("e/never-there")).Versions.ShouldBeEmpty("the folder's delete is not a version of a file that was not in it");
    }

    [Fact]
    public async Task Deleted_lists_each_deleted_file_once_under_a_folder_or_the_whole_container_until_it_is_live_again()
    {
        using var a = await SyncClient.CreateAsync(Server, "laptop");
        await a.OkAsync(Ops.Mkdir("d"));
        await a.OkAsync(Ops.Mkdir("d/sub"));
        var fa = await a.PutFileAsync("d/a.txt", "aaa"u8.ToArray());
        var fb = await a.PutFileAsync("d/sub/b.txt", "bbbbb"u8.ToArray());
        var top1 = await a.PutFileAsync("top.txt", "1"u8.ToArray());
        var gone1 = await a.OkAsync(Ops.Delete("top.txt", top1));
        var top2 = await a.PutFileAsync("top.txt", "22"u8.ToArray());
        var gone2 = await a.OkAsync(Ops.Delete("top.txt", top2));
        var dir = (await a.TreeAsync()).Single(i => i.Path == "d").Version;
        var goneDir = await a.OkAsync(Ops.Delete("d", dir));

        var all = await a.DeletedAsync();
        all.Entries.Select(e => (e.Path, e.DeletedSeq, e.Version, e.Size)).ShouldBe(
            [("d/a.txt", goneDir, fa, 3L), ("d/sub/b.txt", goneDir, fb, 5L), ("top.txt", gone2, top2, 2L)]);
        all.Entries.ShouldAllBe(e => e.DeviceName == "laptop" && e.DeviceId == a.DeviceId);
        all.Next.ShouldBeNull();
        gone1.ShouldBeLessThan(gone2);

        (await a.DeletedAsync("D/sub")).Entries.Select(e => e.Path).ShouldBe(["d/sub/b.txt"]);
        var first = await a.DeletedAsync(limit: 2);
        first.Entries.Select(e => e.Path).ShouldBe(["d/a.txt", "d/sub/b.txt"]);
        (await a.DeletedAsync(cursor: first.Next, limit: 2)).Entries.Select(e => e.Path).ShouldBe(["top.txt"]);

        // Restoring is a put of the last version's chunks; the file leaves the list.
        var last = (await a.HistoryAsync("top.txt")).Versions.First(v => v.Kind == OpKind.Put);
        last.Seq.ShouldBe(top2);
        await a.OkAsync(Ops.Put("top.txt", 0, last.Size!.Value, [.. last.Chunks!]));
        (await a.DeletedAsync()).Entries.Select(e => e.Path).ShouldBe(["d/a.txt", "d/sub/b.txt"]);
    }

    [Fact]
    public async Task A_deleted_files_last_version_stays_restorable_for_the_window_after_the_delete_even_when_written_long_before()
    {
        using var a = await SyncClient.CreateAsync(Server);
        var old = await a.UploadAsync("written long ago"u8.ToArray());
        var other = await a.UploadAsync("deleted long ago"u8.ToArray());
        var now = DateTimeOffset.UtcNow;
        // Committed through the store with explicit times: both puts 40 days ago; gone.txt deleted 35 days ago,
        // kept.txt deleted in 20 days. A collection in 40 days (window 30 days) keeps only what kept.txt's delete removed.
        var put = await CommitAsync(a, now.AddDays(-40), Ops.Put("kept.txt", 0, 16, old));
        var put2 = await CommitAsync(a, now.AddDays(-40), Ops.Put("gone.txt", 0, 16, other));
        await CommitAsync(a, now.AddDays(-35), Ops.Delete("gone.txt", put2));
        var deleted = await CommitAsync(a, now.AddDays(20), Ops.Delete("kept.txt", put));

        await Store.CollectGarbageAsync(now.AddDays(40), TimeSpan.FromDays(30), Server.App.Services.GetRequiredService<IChunkStore>(), CancellationToken.None);

        (await a.MissingAsync(old, other)).ShouldBe([other], "the chunks of a file deleted within the window stay; older ones go");
        var history = await a.HistoryAsync("kept.txt");
        history.Versions.Select(v => (v.Seq, v.Kind)).ShouldBe([(deleted, OpKind.Delete), (put, OpKind.Put)]);
        history.Versions[1].Chunks.ShouldBe([old]);
        (await a.DeletedAsync()).Entries.Select(e => e.Path).ShouldBe(["kept.txt"]);
    }

    [Fact]
    public async Task Deleted_forgets_a_file_once_the_retention_window_after_its_delete_has_passed()
    {
        // Retention of about 2.6 s on a server of its own.
        await using var server = await TestServer.StartAsync(fixture.Backend, s => s["TINYSYNC_HISTORY_RETENTION_DAYS"] = "0.00003");
        using var a = await SyncClient.CreateAsync(server);
        var f = await a.PutFileAsync("f", "f"u8.ToArray());
        await a.OkAsync(Ops.Delete("f", f));
        (await a.DeletedAsync()).Entries.Select(e => e.Path).ShouldBe(["f"]);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while ((await a.DeletedAsync()).Entries.Count > 0 && DateTime.UtcNow < deadline) await Task.Delay(200);

        (await a.DeletedAsync()).Entries.ShouldBeEmpty();
        var g = await a.PutFileAsync("g", "g"u8.ToArray());
        await a.OkAsync(Ops.Delete("g", g));
        (await a.DeletedAsync()).Entries.Select(e => e.Path).ShouldBe(["g"], "a delete inside the window is still listed");
    }

    [Fact]
    public async Task Deleted_refuses_bad_folders_cursors_and_unknown_containers()
    {
        using var a = await SyncClient.CreateAsync(Server);
        await (await a.Http.GetAsync($"{a.Base}/deleted?under=..%2Fx")).ShouldBeProblemAsync(400, ProblemCodes.InvalidPath);
        await (await a.Http.GetAsync($"{a.Base}/deleted?cursor=%21%21")).ShouldBeProblemAsync(400, ProblemCodes.InvalidArgument);
        await (await a.Http.GetAsync($"{a.Base}/deleted?limit=0")).ShouldBeProblemAsync(400, ProblemCodes.InvalidArgument);
        await (await a.Http.GetAsync($"{a.Base}/deleted?container=nope")).ShouldBeProblemAsync(404, ProblemCodes.ContainerNotFound);
    }

    async Task<long> CommitAsync(SyncClient a, DateTimeOffset at, Op op)
    {
        var outcome = await Store.CommitAsync(a.VaultId, a.DeviceId, [op with { Container = "default" }], at, CancellationToken.None);
        var result = outcome!.Results.Single();
        result.Status.ShouldBe(OpStatus.Committed, $"{result.Code} {result.Detail}");
        return result.Seq!.Value;
    }
}
