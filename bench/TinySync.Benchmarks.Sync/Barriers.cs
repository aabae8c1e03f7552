using System.Diagnostics;
using TinySync.Core.Chunking;
using TinySync.Core.Durability;
using TinySync.Server.Blobs;

// The barrier of a chunk batch, measured at the store (decision 0015): the local chunk store's PutManyAsync with one
// fsync per file and per directory issued together, against the same store with one syncfs(2) per barrier; batches
// of 256 small chunks (1-8 KiB), the two stores alternating batch by batch, each in its own directory.
partial class Program
{
    static partial void RunBarrierPhase(Action<string> report, string dataDir)
    {
        const int Count = 5_000, PerBatch = 256;
        var rnd = new Random(15);
        var chunks = Enumerable.Range(0, Count).Select(_ =>
        {
            var b = new byte[rnd.Next(1024, 8 * 1024)];
            rnd.NextBytes(b);
            return (Hash: ChunkHash.Compute(b), Content: (ReadOnlyMemory<byte>)b);
        }).ToList();
        var stores = new[] { DurabilityBarrier.FsyncTogether, DurabilityBarrier.SyncFs }
            .Select(b => (Barrier: b, Store: new LocalChunkStore(Path.Combine(dataDir, $"barrier-{b}"), new OsFileDurability(b)))).ToList();
        var seconds = new double[stores.Count];
        foreach (var batch in chunks.Chunk(PerBatch))
        {
            for (var i = 0; i < stores.Count; i++)
            {
                var sw = Stopwatch.StartNew();
                stores[i].Store.PutManyAsync(batch, default).GetAwaiter().GetResult();
                seconds[i] += sw.Elapsed.TotalSeconds;
            }
        }
        report($"store PutManyAsync, {PerBatch} chunks of 1-8 KiB per batch: " +
            string.Join(" | ", stores.Select((s, i) => $"{s.Barrier}: {Count / seconds[i],6:F0} chunks/s")) +
            $" | syncfs / fsync-together time {seconds[1] / seconds[0]:F2}x");
    }
}
