using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using TinySync.Core.Chunking;
using TinySync.Core.Contracts;
using TinySync.Core.Json;
using TinySync.Server.Storage;
using TinySync.Server.Tests.Support;
using static TinySync.Server.Tests.Support.TestData;

namespace TinySync.Server.Tests.Sync;

public sealed class FastPathTests_Sqlite(ServerFixture fixture) : FastPathTests(fixture), IClassFixture<ServerFixture>;

public sealed class FastPathTests_Postgres(PostgresServerFixture fixture) : FastPathTests(fixture), IClassFixture<PostgresServerFixture>;

/// <summary>
/// The fast paths of decisions 0308–0310 against what they replaced: batched reads and buffered multi-row writes in a
/// commit, the log written straight from the database reader, chunks verified while they stream.
/// </summary>
public abstract class FastPathTests(ServerFixture fixture)
{
    TestServer Server => fixture.Server;

    [Fact]
    public async Task A_batch_that_rewrites_moves_and_deletes_its_own_items_ends_as_if_applied_op_by_op()
    {
        using var a = await SyncClient.CreateAsync(Server);
        Op[] batch =
        [
            Ops.Mkdir("d"),                 // 1
            Ops.Empty("d/a"),               // 2
            Ops.Empty("d/a", 2),            // 3: the same row twice in one batch
            Ops.Mkdir("d/sub"),             // 4
            Ops.Empty("d/sub/x"),           // 5
            Ops.Move("d", "e", 1),          // 6: moves rows the batch has not written yet
            Ops.Empty("e/b"),               // 7
            Ops.Delete("e/a", 6),           // 8
            Ops.Mkdir("d"),                 // 9: the old key again
            Ops.Empty("D/c"),               // 10: parent spelled as stored
            Ops.Empty("e/sub/x"),           // conflict: exists (version 6)
        ];
        var first = await a.CommitAsync(batch);
        first.Results.Take(10).Select(r => (r.Status, r.Seq)).ShouldBe(Enumerable.Range(1, 10).Select(i => (OpStatus.Committed, (long?)i)));
        first.Results[10].Status.ShouldBe(OpStatus.Conflict);
        first.Results[10].Current!.Version.ShouldBe(6);
        first.Head.ShouldBe(10);

        (await a.TreeAsync()).Select(i => (i.Path, i.Version)).ShouldBe(
            [("d", 9L), ("d/c", 10L), ("e", 6L), ("e/b", 7L), ("e/sub", 6L), ("e/sub/x", 6L)]);
        (await a.FullLogAsync()).Select(e => (e.Seq, e.Kind, e.Path, e.NewPath)).ShouldBe(
        [
            (1L, OpKind.Mkdir, "d", null), (2L, OpKind.Put, "d/a", null), (3L, OpKind.Put, "d/a", null), (4L, OpKind.Mkdir, "d/sub", null),
            (5L, OpKind.Put, "d/sub/x", null), (6L, OpKind.Move, "d", "e"), (7L, OpKind.Put, "e/b", null), (8L, OpKind.Delete, "e/a", null),
            (9L, OpKind.Mkdir, "d", null), (10L, OpKind.Put, "d/c", null),
        ]);

        var retry = await a.CommitAsync(batch);
        retry.Results.Take(10).Select(r => r.Seq).ShouldBe(first.Results.Take(10).Select(r => r.Seq), "a retried batch answers with the original seqs");
        retry.Head.ShouldBe(10, "and applies nothing twice");
    }

    [Fact]
    public async Task A_batch_of_several_hundred_puts_writes_every_row_densely_and_retries_exactly_once()
    {
        using var a = await SyncClient.CreateAsync(Server);
        // 300 ops: more than one buffered flush of log rows, and a remainder that needs every smaller statement.
        Op[] batch = [Ops.Mkdir("big"), .. Enumerable.Range(0, 299).Select(i => Ops.Empty($"big/f{i:D3}"))];
        var first = await a.CommitAsync(batch);
        first.Results.Select(r => r.Seq).ShouldBe(Enumerable.Range(1, 300).Select(i => (long?)i));

        var log = await a.FullLogAsync();
        log.Select(e => e.Seq).ShouldBe(Enumerable.Range(1, 300).Select(i => (long)i));
        log.Select(e => e.OpId).ShouldBe(batch.Select(o => o.OpId));
        log.Skip(1).Select(e => e.Path).ShouldBe(Enumerable.Range(0, 299).Select(i => $"big/f{i:D3}"));
        var tree = await a.TreeAsync();
        tree.Count.ShouldBe(300);
        tree.Skip(1).Select(i => i.Version).ShouldBe(Enumerable.Range(2, 299).Select(i => (long)i));

        var retry = await a.CommitAsync([.. batch.Reverse()]);
        retry.Results.Select(r => r.Seq).ShouldBe(first.Results.Select(r => r.Seq).Reverse());
        retry.Head.ShouldBe(300);
    }

    [Fact]
    public async Task The_log_is_written_byte_for_byte_as_the_serializer_writes_its_pages()
    {
        using var a = await SyncClient.CreateAsync(Server);
        var c1 = await a.UploadAsync(Bytes(1000, 1));
        var c2 = await a.UploadAsync(Bytes(500, 2));
        var committed = await a.CommitAsync(
        [
            Ops.Mkdir("Ünïcode 'quoted' & +dir"),
            Ops.Put("Ünïcode 'quoted' & +dir/日本.txt", 0, 1500, c1, c2) with
            {
                Executable = true, Mtime = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.FromHours(2)).AddTicks(1234567),
            },
            Ops.Put("no-mtime", 0, 1000, c1) with { Mtime = null, Executable = null },
            Ops.Empty("empty"),
            Ops.Mkdir("dir"),
        ]);
        committed.Results.ShouldAllBe(r => r.Status == OpStatus.Committed);
        await a.OkAsync(Ops.Move("dir", "moved", 5));
        await a.OkAsync(Ops.Delete("empty", 4));

        var store = Server.App.Services.GetRequiredService<IStore>();
        foreach (var (after, limit) in new[] { (0L, 10_000), (0L, 3), (3L, 2), (6L, 1), (7L, 5) })
        {
            var raw = await a.Http.GetStringAsync($"{a.Base}/log?after={after}&limit={limit}");
            var page = await store.ReadLogAsync(a.VaultId, after, limit, default);
            raw.ShouldBe(JsonSerializer.Serialize(page, TinySyncJson.Options), $"after={after}, limit={limit}");
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(256 * 1024)]          // exactly one block
    [InlineData(512 * 1024)]          // exactly two
    [InlineData(FastCdc.DefaultMaxSize)]
    public async Task Chunks_of_any_length_download_byte_for_byte(int length)
    {
        using var a = await SyncClient.CreateAsync(Server);
        var data = Bytes(length, length);
        var hash = await a.UploadAsync(data);
        var response = await a.Http.GetAsync($"{a.Base}/chunks/{hash}");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentLength.ShouldBe(length);
        (await response.Content.ReadAsByteArrayAsync()).ShouldBe(data);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(700_000)]
    [InlineData(1_000_000 - 1)]
    public async Task A_damaged_chunk_longer_than_one_block_is_cut_off_so_the_client_never_receives_it_whole(int damagedAt)
    {
        using var a = await SyncClient.CreateAsync(Server);
        var data = Bytes(1_000_000, 7);
        var hash = await a.UploadAsync(data);
        var damaged = (byte[])data.Clone();
        damaged[damagedAt] ^= 0x01;
        await Server.OverwriteStoredChunkAsync(hash, damaged);

        Exception? failure = null;
        byte[]? received = null;
        try
        {
            received = await a.Http.GetByteArrayAsync($"{a.Base}/chunks/{hash}");
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            failure = e;
        }
        received.ShouldBeNull("the response must fail, not deliver the damaged bytes as a complete body");
        failure.ShouldNotBeNull();

        // The server stays usable, and a device that has the bytes repairs the chunk with a plain upload: the
        // damaged copy was moved to quarantine, so the upload is not skipped as "already stored".
        (await a.PutChunkRawAsync(hash, data)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await a.Http.GetByteArrayAsync($"{a.Base}/chunks/{hash}")).ShouldBe(data);
    }

    [Fact]
    public async Task A_stored_chunk_that_grew_or_shrank_is_refused()
    {
        using var a = await SyncClient.CreateAsync(Server);
        var data = Bytes(3000, 8);
        var hash = await a.UploadAsync(data);
        await Server.OverwriteStoredChunkAsync(hash, [.. data, 0]);
        await (await a.Http.GetAsync($"{a.Base}/chunks/{hash}")).ShouldBeProblemAsync(500, ProblemCodes.ChunkCorrupted);
        await Server.OverwriteStoredChunkAsync(hash, data[..2999]);
        await (await a.Http.GetAsync($"{a.Base}/chunks/{hash}")).ShouldBeProblemAsync(500, ProblemCodes.ChunkCorrupted);
    }
}
