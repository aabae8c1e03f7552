using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using TinySync.Core.Chunking;
using TinySync.Core.Contracts;
using TinySync.Core.Json;
using TinySync.Server.Blobs;
using TinySync.Server.Tests.Support;
using static TinySync.Server.Tests.Support.TestData;

namespace TinySync.Server.Tests.Sync;

public sealed class ChunksTests_Sqlite(ServerFixture fixture) : ChunksTests(fixture), IClassFixture<ServerFixture>;

public sealed class ChunksTests_Postgres(PostgresServerFixture fixture) : ChunksTests(fixture), IClassFixture<PostgresServerFixture>;

public abstract class ChunksTests(ServerFixture fixture)
{
    TestServer Server => fixture.Server;

    [Fact]
    public async Task An_upload_is_verified_stored_once_and_downloaded_byte_for_byte()
    {
        using var a = await SyncClient.CreateAsync(Server);
        var data = Bytes(300_000, 1);
        var hash = ChunkHash.Compute(data);
        (await a.MissingAsync(hash)).ShouldBe([hash]);

        (await a.PutChunkRawAsync(hash, data)).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await a.PutChunkRawAsync(hash, data)).StatusCode.ShouldBe(HttpStatusCode.OK, "already held");
        (await a.MissingAsync(hash, hash)).ShouldBeEmpty();

        var download = await a.Http.GetAsync($"{a.Base}/chunks/{hash}");
        download.StatusCode.ShouldBe(HttpStatusCode.OK);
        download.Content.Headers.ContentType!.MediaType.ShouldBe("application/octet-stream");
        (await download.Content.ReadAsByteArrayAsync()).ShouldBe(data);
        (await Server.ChunkStoredAsync(hash)).ShouldBeTrue();
    }

    [Fact]
    public async Task A_body_that_does_not_match_its_hash_is_refused_and_not_stored()
    {
        using var a = await SyncClient.CreateAsync(Server);
        var data = Bytes(1000, 2);
        var claimed = ChunkHash.Compute(Bytes(1000, 3));
        var problem = await (await a.PutChunkRawAsync(claimed, data)).ShouldBeProblemAsync(400, ProblemCodes.ChunkHashMismatch);
        problem.Detail!.ShouldContain(ChunkHash.Compute(data));
        (await a.MissingAsync(claimed)).ShouldBe([claimed]);
        await (await a.Http.GetAsync($"{a.Base}/chunks/{claimed}")).ShouldBeProblemAsync(404, ProblemCodes.ChunkNotFound);
        (await Server.ChunkStoredAsync(claimed)).ShouldBeFalse();
        if (Server.ChunkStore is LocalChunkStore local)
        {
            // The body was written to a temporary file as it arrived (decision 0312); the refusal removed it.
            var dir = Path.GetDirectoryName(local.PathOf(claimed))!;
            (Directory.Exists(dir) ? Directory.GetFiles(dir, $".{claimed}.*") : []).ShouldBeEmpty();
        }
    }

    [Fact]
    public async Task A_chunk_over_the_chunker_maximum_is_refused_with_413()
    {
        using var a = await SyncClient.CreateAsync(Server);
        var data = new byte[FastCdc.DefaultMaxSize + 1];
        await (await a.PutChunkRawAsync(ChunkHash.Compute(data), data, expectContinue: true)).ShouldBeProblemAsync(413, ProblemCodes.ChunkTooLarge);
        var max = new byte[FastCdc.DefaultMaxSize];
        (await a.PutChunkRawAsync(ChunkHash.Compute(max), max)).StatusCode.ShouldBe(HttpStatusCode.Created, "the maximum itself is fine");
    }

    [Fact]
    public async Task Malformed_hashes_are_refused()
    {
        using var a = await SyncClient.CreateAsync(Server);
        var upper = ChunkHash.Compute([1]).ToUpperInvariant();
        await (await a.PutChunkRawAsync(upper, [1])).ShouldBeProblemAsync(400, ProblemCodes.InvalidHash);
        await (await a.Http.GetAsync($"{a.Base}/chunks/abc")).ShouldBeProblemAsync(400, ProblemCodes.InvalidHash);
        var probe = await a.Http.PostAsJsonAsync($"{a.Base}/chunks/missing", new MissingChunksRequest(["sha256:00"]), TinySyncJson.Options);
        await probe.ShouldBeProblemAsync(400, ProblemCodes.InvalidHash);
        var tooMany = await a.Http.PostAsJsonAsync($"{a.Base}/chunks/missing",
            new MissingChunksRequest([.. Enumerable.Range(0, 10_001).Select(i => ChunkHash.Compute(BitConverter.GetBytes(i)))]), TinySyncJson.Options);
        await tooMany.ShouldBeProblemAsync(400, ProblemCodes.TooManyHashes);
    }

    [Fact]
    public async Task A_device_of_another_vault_can_neither_read_nor_probe_nor_reference_your_chunk()
    {
        using var mine = await SyncClient.CreateAsync(Server, "mine");
        using var other = await SyncClient.CreateAsync(Server, "other");
        var secret = Bytes(5000, 4);
        var hash = await mine.UploadAsync(secret);

        await (await other.Http.GetAsync($"{other.Base}/chunks/{hash}")).ShouldBeProblemAsync(404, ProblemCodes.ChunkNotFound);
        (await other.MissingAsync(hash)).ShouldBe([hash], "another vault's chunk is reported missing");
        (await other.OneAsync(Ops.Put("stolen", 0, secret.Length, hash))).Code.ShouldBe(RejectCodes.MissingChunks);
        await (await other.Http.GetAsync($"{mine.Base}/chunks/{hash}")).ShouldBeProblemAsync(404, ProblemCodes.VaultNotFound);

        // Uploading the same bytes registers them to the other vault too; the physical copy stays one.
        (await other.PutChunkRawAsync(hash, secret)).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await other.OneAsync(Ops.Put("mine-now", 0, secret.Length, hash))).Status.ShouldBe(OpStatus.Committed);
    }

    [Fact]
    public async Task A_corrupted_stored_chunk_is_never_served()
    {
        using var a = await SyncClient.CreateAsync(Server);
        var data = Bytes(2000, 5);
        var hash = await a.UploadAsync(data);
        var damaged = (byte[])data.Clone();
        damaged[1000] ^= 0xFF;
        await Server.OverwriteStoredChunkAsync(hash, damaged);

        var response = await a.Http.GetAsync($"{a.Base}/chunks/{hash}");
        await response.ShouldBeProblemAsync(500, ProblemCodes.ChunkCorrupted);

        // The damaged copy was moved to quarantine: the chunk is now missing from the store, not served as damaged…
        await (await a.Http.GetAsync($"{a.Base}/chunks/{hash}")).ShouldBeProblemAsync(500, ProblemCodes.ChunkUnavailable);
        // …and a device that still has the bytes repairs it with a plain upload (before, the upload was skipped as
        // "already stored" and the damage stayed).
        (await a.PutChunkRawAsync(hash, data)).StatusCode.ShouldBe(HttpStatusCode.OK, "a device can upload it again");
        (await (await a.Http.GetAsync($"{a.Base}/chunks/{hash}")).Content.ReadAsByteArrayAsync()).ShouldBe(data);
    }

    [Fact]
    public async Task A_file_of_several_chunks_round_trips_through_put_log_and_download()
    {
        using var a = await SyncClient.CreateAsync(Server);
        var file = Bytes(600_000, 6);
        var chunks = new FastCdc(16 * 1024, 64 * 1024, 256 * 1024).Chunk(file);
        chunks.Count.ShouldBeGreaterThan(2);
        foreach (var c in chunks) await a.UploadAsync(file.AsSpan((int)c.Offset, c.Length).ToArray());
        await a.OkAsync(Ops.Put("big.bin", 0, file.Length, [.. chunks.Select(c => c.Hash)]));

        var row = (await a.LogAsync()).Entries.Single();
        using var rebuilt = new MemoryStream();
        foreach (var h in row.Chunks!) rebuilt.Write(await a.Http.GetByteArrayAsync($"{a.Base}/chunks/{h}"));
        rebuilt.ToArray().ShouldBe(file);
    }
}
