using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using TinySync.Core.Chunking;
using TinySync.Core.Contracts;
using TinySync.Core.Durability;
using TinySync.Core.Json;
using TinySync.Server.Blobs;
using TinySync.Server.Tests.Support;
using static TinySync.Server.Tests.Support.TestData;

namespace TinySync.Server.Tests.Sync;

public sealed class ChunkBatchDurabilityTests_Sqlite() : ChunkBatchDurabilityTests(Backend.Sqlite);

public sealed class ChunkBatchDurabilityTests_Postgres() : ChunkBatchDurabilityTests(Backend.Postgres);

/// <summary>
/// A batch upload is written with one barrier for its data and one for its directories, and acknowledged only after
/// both (decision 0015). The steps are recorded through <see cref="IFileDurability"/>, the seam every flush and
/// rename of the local chunk store goes through; the real disk does the work, the recorder only watches (or fails a
/// barrier on demand, which a real disk cannot do).
/// </summary>
public abstract class ChunkBatchDurabilityTests(Backend backend)
{
    /// <summary>The real file system, with every step written down in order and a barrier that can be made to fail.</summary>
    sealed class RecordingDisk(DurabilityBarrier barrier) : IFileDurability
    {
        readonly OsFileDurability _real = new(barrier);

        public ConcurrentQueue<string> Steps { get; } = new();
        public volatile bool FailFiles;
        public volatile bool FailDirectories;

        // The directories whose flush fails while FailDirectories is set (the chunks' own, not the fan-out parents).
        public HashSet<string> Failing { get; } = new(StringComparer.Ordinal);

        public IDurabilityBatch Begin(string directory) => new Batch(this, _real.Begin(directory));

        sealed class Batch(RecordingDisk disk, IDurabilityBatch real) : IDurabilityBatch
        {
            public void StartWriteback(FileStream file, long offset, long count)
            {
                disk.Steps.Enqueue("written " + Name(file.Name));
                real.StartWriteback(file, offset, count);
            }

            public void FlushFiles(IReadOnlyList<string> files, CancellationToken ct)
            {
                if (disk.FailFiles) throw new IOException("injected: fsync of a chunk failed (EIO)");
                real.FlushFiles(files, ct);
                disk.Steps.Enqueue($"flushed files {string.Join(' ', files.Select(Name).Order(StringComparer.Ordinal))}");
            }

            public void Move(string from, string to)
            {
                real.Move(from, to);
                disk.Steps.Enqueue("renamed " + Name(from));
            }

            public void FlushDirectories(IReadOnlyList<string> directories, CancellationToken ct)
            {
                if (disk.FailDirectories && directories.Any(disk.Failing.Contains)) throw new IOException("injected: fsync of a directory failed (EIO)");
                real.FlushDirectories(directories, ct);
                disk.Steps.Enqueue("flushed directories " + string.Join('|', directories.Order(StringComparer.Ordinal)));
            }

            public void Dispose() => real.Dispose();
        }

        // A temporary chunk file is .<hash>.<guid>.tmp: the hash names the chunk in every step.
        static string Name(string path) => Path.GetFileName(path).Split('.', StringSplitOptions.RemoveEmptyEntries)[0];
    }

    static Task<HttpResponseMessage> PostBatchAsync(SyncClient c, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(ChunkFrames.MediaType);
        return c.Http.PostAsync($"v1/vaults/{c.VaultId}/chunks/batch", content);
    }

    static List<(string Hash, byte[] Data)> SmallChunks(int count) =>
        [.. Enumerable.Range(0, count).Select(i => Bytes(200 + i * 37, Environment.TickCount + i)).Select(d => (ChunkHash.Compute(d), d))];

    [Theory]
    [InlineData(DurabilityBarrier.FsyncTogether)]
    [InlineData(DurabilityBarrier.SyncFs)]
    public async Task Every_chunk_of_a_batch_is_written_then_flushed_together_then_renamed_then_its_directories_flushed_before_the_acknowledgement(DurabilityBarrier barrier)
    {
        using var chunks = new TempDir("tinysync-chunks");
        var disk = new RecordingDisk(barrier);
        await using var server = await TestServer.StartAsync(backend, null, s => s.AddSingleton<IChunkStore>(new LocalChunkStore(chunks.Path, disk)));
        using var a = await SyncClient.CreateAsync(server);
        var batch = SmallChunks(40);
        var hashes = batch.Select(c => c.Hash).ToArray();
        disk.Steps.Clear();

        var response = await PostBatchAsync(a, BatchFrames.Of(batch));
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        disk.Steps.Enqueue("acknowledged");

        // Fan-out directories created on the way are flushed as they are made; the order that matters is the chunks'.
        var steps = disk.Steps.ToList();
        int Index(string step)
        {
            var at = steps.IndexOf(step);
            at.ShouldBeGreaterThanOrEqualTo(0, $"{step} was not recorded: {string.Join(" | ", steps)}");
            return at;
        }
        var dataBarrier = steps.Single(s => s.StartsWith("flushed files", StringComparison.Ordinal));
        dataBarrier.ShouldBe("flushed files " + string.Join(' ', hashes.Order(StringComparer.Ordinal)), "one barrier for the data of the whole batch");
        var flushedFiles = Index(dataBarrier);
        foreach (var hash in hashes)
        {
            Index("written " + hash).ShouldBeLessThan(flushedFiles, "all data is written before the barrier");
            Index("renamed " + hash).ShouldBeGreaterThan(flushedFiles, "no chunk is renamed into place before its bytes are durable");
        }
        var lastRename = hashes.Max(h => Index("renamed " + h));
        var directoryBarrier = steps.FindLastIndex(s => s.StartsWith("flushed directories ", StringComparison.Ordinal));
        directoryBarrier.ShouldBeGreaterThan(lastRename, "the renames are made durable after the last one");
        // A fresh store: every chunk's directory is new, so the barrier also makes each new directory's entry durable
        // in its parent (ab/cd in ab, ab in the root).
        var leaves = hashes.Select(h => Path.Combine(chunks.Path, h[..2], h[2..4])).ToHashSet();
        var expected = leaves.Concat(leaves.Select(l => Path.GetDirectoryName(l)!)).Append(chunks.Path).Distinct().Order(StringComparer.Ordinal);
        steps[directoryBarrier].ShouldBe("flushed directories " + string.Join('|', expected), "one barrier for every directory the batch touched");
        steps.Count(s => s.StartsWith("flushed directories ", StringComparison.Ordinal)).ShouldBe(1, "no directory is flushed one at a time on the way");
        steps.IndexOf("acknowledged").ShouldBe(steps.Count - 1, "nothing is acknowledged before it is durable");
        (await a.MissingAsync(hashes)).ShouldBeEmpty();
    }

    [Theory]
    [InlineData(true)]  // the data barrier: nothing is renamed into place
    [InlineData(false)] // the directory barrier: the renames are done but not durable
    public async Task A_batch_whose_barrier_fails_is_refused_with_503_registers_nothing_and_is_stored_when_sent_again(bool dataBarrier)
    {
        using var chunks = new TempDir("tinysync-chunks");
        var disk = new RecordingDisk(DurabilityBarrier.Auto);
        var store = new LocalChunkStore(chunks.Path, disk);
        await using var server = await TestServer.StartAsync(backend, null, s => s.AddSingleton<IChunkStore>(store));
        using var a = await SyncClient.CreateAsync(server);
        var batch = SmallChunks(12);
        var hashes = batch.Select(c => c.Hash).ToArray();
        foreach (var hash in hashes) disk.Failing.Add(Path.GetDirectoryName(store.PathOf(hash))!);

        if (dataBarrier) disk.FailFiles = true;
        else disk.FailDirectories = true;
        var refused = await PostBatchAsync(a, BatchFrames.Of(batch));
        await refused.ShouldBeProblemAsync(503, ProblemCodes.Unavailable);
        (await a.MissingAsync(hashes)).ShouldBe(hashes, ignoreOrder: true, "a batch that was not acknowledged registers none of its chunks");
        Directory.EnumerateFiles(chunks.Path, "*.tmp", SearchOption.AllDirectories).ShouldBeEmpty("no temporary file is left behind");
        if (dataBarrier)
        {
            hashes.ShouldAllBe(h => !File.Exists(store.PathOf(h)), "no chunk is renamed into place before its bytes are durable");
        }
        else
        {
            // The renamed files are there but not trusted until their directories flush: sending again is refused too.
            await (await PostBatchAsync(a, BatchFrames.Of(batch))).ShouldBeProblemAsync(503, ProblemCodes.Unavailable);
        }

        disk.FailFiles = disk.FailDirectories = false;
        var stored = await PostBatchAsync(a, BatchFrames.Of(batch));
        stored.StatusCode.ShouldBe(HttpStatusCode.OK, await stored.Content.ReadAsStringAsync());
        (await stored.Content.ReadFromJsonAsync<ChunkBatchResponse>(TinySyncJson.Options))!.Created.ShouldBe(hashes.Length);
        (await a.MissingAsync(hashes)).ShouldBeEmpty();
        foreach (var (hash, data) in batch) (await store.GetAsync(hash, default)).ShouldBe(data);
    }
}
