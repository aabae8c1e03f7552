using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using TinySync.Core.Chunking;
using TinySync.Core.Contracts;
using TinySync.Core.Json;
using TinySync.Server.Apis;
using TinySync.Server.Tests.Support;
using static TinySync.Server.Tests.Support.TestData;

namespace TinySync.Server.Tests.Sync;

public sealed class ChunkBatchTests_Sqlite(ServerFixture fixture) : ChunkBatchTests(fixture), IClassFixture<ServerFixture>;

public sealed class ChunkBatchTests_Postgres(PostgresServerFixture fixture) : ChunkBatchTests(fixture), IClassFixture<PostgresServerFixture>;

/// <summary>The batch chunk routes (decision 0408) over the wire, on every backend.</summary>
public abstract class ChunkBatchTests(ServerFixture fixture)
{
    TestServer Server => fixture.Server;

    static byte[] Frames(params (string Hash, byte[] Data)[] chunks) => BatchFrames.Of(chunks);

    static (string, byte[]) Chunk(byte[] data) => (ChunkHash.Compute(data), data);

    static Task<HttpResponseMessage> PostBatchAsync(SyncClient c, byte[] body, string mediaType = ChunkFrames.MediaType, Guid? vault = null)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        return c.Http.PostAsync($"v1/vaults/{vault ?? c.VaultId}/chunks/batch", content);
    }

    static Task<HttpResponseMessage> FetchAsync(SyncClient c, IReadOnlyList<string> hashes, Guid? vault = null) =>
        c.Http.PostAsJsonAsync($"v1/vaults/{vault ?? c.VaultId}/chunks/fetch", new ChunkFetchRequest(hashes), TinySyncJson.Options);

    static async Task<List<ChunkFrames.Frame>> FramesOfAsync(HttpResponseMessage response)
    {
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        response.Content.Headers.ContentType!.MediaType.ShouldBe(ChunkFrames.MediaType);
        var body = await response.Content.ReadAsByteArrayAsync();
        ChunkFrames.TryParse(body, int.MaxValue, int.MaxValue, out var frames, out var error).ShouldBeTrue(error.Detail);
        return frames;
    }

    [Fact]
    public async Task A_batch_is_verified_stored_registered_and_fetched_byte_for_byte()
    {
        using var a = await SyncClient.CreateAsync(Server);
        var chunks = new[] { Chunk(Bytes(1000, 1)), Chunk(Bytes(70_000, 2)), Chunk([]) };
        var hashes = chunks.Select(c => c.Item1).ToArray();

        var first = await PostBatchAsync(a, Frames(chunks));
        first.StatusCode.ShouldBe(HttpStatusCode.OK, await first.Content.ReadAsStringAsync());
        (await first.Content.ReadFromJsonAsync<ChunkBatchResponse>(TinySyncJson.Options)).ShouldBe(new ChunkBatchResponse(3, 0));
        var again = await PostBatchAsync(a, Frames(chunks[0], chunks[0]), "application/octet-stream");
        again.StatusCode.ShouldBe(HttpStatusCode.OK, await again.Content.ReadAsStringAsync());
        (await again.Content.ReadFromJsonAsync<ChunkBatchResponse>(TinySyncJson.Options)).ShouldBe(new ChunkBatchResponse(0, 1), "a duplicate counts once");
        (await a.MissingAsync(hashes)).ShouldBeEmpty();
        foreach (var h in hashes) (await Server.ChunkStoredAsync(h)).ShouldBeTrue();

        var frames = await FramesOfAsync(await FetchAsync(a, [hashes[1], hashes[0], hashes[2], hashes[1]]));
        frames.Select(f => f.Hash).ShouldBe([hashes[1], hashes[0], hashes[2], hashes[1]], "in the order asked, duplicates too");
        frames[0].Content.ToArray().ShouldBe(chunks[1].Item2);
        frames[1].Content.ToArray().ShouldBe(chunks[0].Item2);
        frames[2].Content.Length.ShouldBe(0);
        (await a.Http.GetByteArrayAsync($"{a.Base}/chunks/{hashes[1]}")).ShouldBe(chunks[1].Item2, "the single-chunk route serves batch uploads");

        // registered, so a put may reference them
        await a.OkAsync(Ops.Put("f.bin", 0, 71_000, hashes[0], hashes[1]));
    }

    [Fact]
    public async Task One_chunk_that_does_not_match_its_hash_refuses_the_whole_batch_and_stores_nothing()
    {
        using var a = await SyncClient.CreateAsync(Server);
        var good1 = Chunk(Bytes(500, 10));
        var good2 = Chunk(Bytes(600, 11));
        var lie = (ChunkHash.Compute(Bytes(700, 12)), Bytes(700, 13));

        var problem = await (await PostBatchAsync(a, Frames(good1, lie, good2))).ShouldBeProblemAsync(400, ProblemCodes.ChunkHashMismatch);
        problem.Detail!.ShouldContain("chunk 1 of the batch");
        problem.Detail!.ShouldContain(ChunkHash.Compute(lie.Item2));
        (await a.MissingAsync(good1.Item1, lie.Item1, good2.Item1)).ShouldBe([good1.Item1, lie.Item1, good2.Item1], "nothing of the batch is registered");
        (await Server.ChunkStoredAsync(good1.Item1)).ShouldBeFalse("nothing of the batch is stored");
        (await Server.ChunkStoredAsync(good2.Item1)).ShouldBeFalse();
    }

    [Fact]
    public async Task Malformed_framing_is_a_400_and_stores_nothing()
    {
        using var a = await SyncClient.CreateAsync(Server);
        var good = Chunk(Bytes(300, 20));
        var whole = Frames(good);

        await (await PostBatchAsync(a, whole[..10])).ShouldBeProblemAsync(400, ProblemCodes.MalformedBatch);
        await (await PostBatchAsync(a, whole[..^1])).ShouldBeProblemAsync(400, ProblemCodes.MalformedBatch);
        var trailing = whole.Concat(new byte[] { 1, 2, 3 }).ToArray();
        await (await PostBatchAsync(a, trailing)).ShouldBeProblemAsync(400, ProblemCodes.MalformedBatch);
        (await a.MissingAsync(good.Item1)).ShouldBe([good.Item1]);
        (await Server.ChunkStoredAsync(good.Item1)).ShouldBeFalse();

        await (await PostBatchAsync(a, whole, "application/json")).ShouldBeProblemAsync(415, ProblemCodes.UnsupportedMediaType);
    }

    [Fact]
    public async Task Oversized_chunks_bodies_and_counts_are_refused()
    {
        using var a = await SyncClient.CreateAsync(Server);
        var good = Chunk(Bytes(100, 30));
        // a frame that declares one byte over the chunker's maximum (its bytes need not even follow)
        var header = new byte[ChunkFrames.HeaderLength];
        ChunkFrames.WriteHeader(header, ChunkHash.Compute([1]), FastCdc.DefaultMaxSize + 1);
        await (await PostBatchAsync(a, [.. Frames(good), .. header])).ShouldBeProblemAsync(413, ProblemCodes.ChunkTooLarge);

        var huge = new ByteArrayContent(new byte[ChunkBatchApi.MaxBatchBytes + 1]);
        huge.Headers.ContentType = new MediaTypeHeaderValue(ChunkFrames.MediaType);
        using var hugeRequest = new HttpRequestMessage(HttpMethod.Post, $"v1/vaults/{a.VaultId}/chunks/batch") { Content = huge };
        hugeRequest.Headers.ExpectContinue = true; // the refusal arrives before the body is sent
        await (await a.Http.SendAsync(hugeRequest)).ShouldBeProblemAsync(413, ProblemCodes.BatchTooLarge);

        var empty = Chunk([]);
        var tooMany = Frames([.. Enumerable.Repeat(empty, ChunkBatchApi.MaxBatchChunks + 1)]);
        await (await PostBatchAsync(a, tooMany)).ShouldBeProblemAsync(400, ProblemCodes.BatchTooLarge);
        (await a.MissingAsync(good.Item1)).ShouldBe([good.Item1]);

        var fetchTooMany = await FetchAsync(a, [.. Enumerable.Repeat(empty.Item1, ChunkBatchApi.MaxBatchChunks + 1)]);
        await fetchTooMany.ShouldBeProblemAsync(400, ProblemCodes.TooManyHashes);
        await (await FetchAsync(a, ["abc"])).ShouldBeProblemAsync(400, ProblemCodes.InvalidHash);
    }

    [Fact]
    public async Task A_device_of_another_vault_gets_404_and_cannot_fetch_your_chunks()
    {
        using var mine = await SyncClient.CreateAsync(Server, "mine");
        using var other = await SyncClient.CreateAsync(Server, "other");
        var secret = Chunk(Bytes(4000, 40));
        (await PostBatchAsync(mine, Frames(secret))).StatusCode.ShouldBe(HttpStatusCode.OK);

        await (await PostBatchAsync(other, Frames(Chunk(Bytes(10, 41))), vault: mine.VaultId)).ShouldBeProblemAsync(404, ProblemCodes.VaultNotFound);
        await (await FetchAsync(other, [secret.Item1], vault: mine.VaultId)).ShouldBeProblemAsync(404, ProblemCodes.VaultNotFound);
        var own = Chunk(Bytes(10, 42));
        (await PostBatchAsync(other, Frames(own))).StatusCode.ShouldBe(HttpStatusCode.OK);
        var problem = await (await FetchAsync(other, [own.Item1, secret.Item1])).ShouldBeProblemAsync(404, ProblemCodes.ChunkNotFound);
        problem.Detail!.ShouldContain(secret.Item1, customMessage: "names the chunk it lacks, and sends nothing");
    }

    [Fact]
    public async Task A_fetch_over_the_byte_budget_answers_a_prefix_and_the_rest_on_the_next_request()
    {
        using var a = await SyncClient.CreateAsync(Server);
        var chunks = Enumerable.Range(0, 5).Select(i => Chunk(Bytes(FastCdc.DefaultMaxSize, 50 + i))).ToArray();
        (await PostBatchAsync(a, Frames(chunks[..3]))).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await PostBatchAsync(a, Frames(chunks[3..]))).StatusCode.ShouldBe(HttpStatusCode.OK);
        var wanted = chunks.Select(c => c.Item1).ToList();

        var first = await FramesOfAsync(await FetchAsync(a, wanted));
        first.Count.ShouldBeInRange(1, 4, "20 MiB does not fit the 16 MiB budget");
        first.Select(f => f.Hash).ShouldBe(wanted[..first.Count], "a prefix, in order");
        var rest = await FramesOfAsync(await FetchAsync(a, wanted[first.Count..]));
        first.Concat(rest).Select(f => f.Hash).ShouldBe(wanted);
        for (var i = 0; i < 5; i++) first.Concat(rest).ElementAt(i).Content.ToArray().ShouldBe(chunks[i].Item2);
    }

    [Fact]
    public async Task A_corrupted_stored_chunk_is_never_fetched()
    {
        using var a = await SyncClient.CreateAsync(Server);
        var chunk = Chunk(Bytes(2000, 60));
        (await PostBatchAsync(a, Frames(chunk))).StatusCode.ShouldBe(HttpStatusCode.OK);
        var damaged = (byte[])chunk.Item2.Clone();
        damaged[7] ^= 0xFF;
        await Server.OverwriteStoredChunkAsync(chunk.Item1, damaged);
        await (await FetchAsync(a, [chunk.Item1])).ShouldBeProblemAsync(500, ProblemCodes.ChunkCorrupted);

        // the damaged copy went to quarantine; uploading the batch again is how a device repairs it (decision 0311)
        await (await FetchAsync(a, [chunk.Item1])).ShouldBeProblemAsync(500, ProblemCodes.ChunkUnavailable);
        (await PostBatchAsync(a, Frames(chunk))).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await FramesOfAsync(await FetchAsync(a, [chunk.Item1])))[0].Content.ToArray().ShouldBe(chunk.Item2);
    }
}
