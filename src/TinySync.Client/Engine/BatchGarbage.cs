namespace TinySync.Client.Engine;

/// <summary>
/// Collects the young generations between batches when the host asked for it with the runtimeconfig switch
/// <c>TinySync.Client.CollectBetweenBatches</c> (the CLI does). The runtime sizes its gen0 budget from the L3 cache
/// size, and VMs report the host's (hundreds of MB): without this, syncing 100,000 files kept over 100 MB of dead
/// batch garbage resident. Off for embedders, whose GC is theirs to tune (decision 0410).
/// </summary>
internal static class BatchGarbage
{
    static readonly bool Enabled = AppContext.TryGetSwitch("TinySync.Client.CollectBetweenBatches", out var on) && on;

    static int _releases;

    /// <summary>
    /// A blocking, non-compacting gen0+gen1 collection (a few milliseconds), when enabled; every 16th one is a full
    /// (non-compacting) collection: what a batch still held at a young collection is promoted and dies in gen2, and
    /// over a 100,000-file upload that piled up to tens of MB between the runtime's own gen2 collections.
    /// </summary>
    public static void Release()
    {
        if (!Enabled) return;
        GC.Collect(Interlocked.Increment(ref _releases) % 16 == 0 ? 2 : 1, GCCollectionMode.Forced, blocking: true, compacting: false);
    }

    /// <summary>
    /// Between rounds and phases (before a pull, after it): a full, compacting collection that also returns the freed
    /// memory to the OS, when enabled and the heap holds more than <see cref="FullCollectionThreshold"/>. The previous
    /// phase's trees, scan and plan sit in gen2 by then, where the young collections never reach, and would otherwise
    /// stay resident while the next phase loads its own. It first yields to the thread pool: a phase that completed
    /// synchronously leaves its callers' frames (and the state they hold) on the stack until it is unwound. Small heaps
    /// (a daemon's quick rounds) only yield.
    /// </summary>
    public static async ValueTask ReleaseAllAsync()
    {
        if (!Enabled) return;
        await Task.Yield();
        if (GC.GetTotalMemory(false) > FullCollectionThreshold) GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }

    /// <summary>Heap size above which <see cref="ReleaseAllAsync"/> collects.</summary>
    const long FullCollectionThreshold = 32L << 20;

    static int _rows;

    /// <summary>
    /// <see cref="Release"/> every 4,096 calls from loops over whole trees (index loads and write batches, the
    /// planner): each row leaves a few hundred bytes of garbage, which must not pile up to the L3-derived budget.
    /// </summary>
    public static void Row() => Tick(ref _rows);

    /// <summary><see cref="Release"/> every <paramref name="every"/> calls (thread-safe counter).</summary>
    public static void Tick(ref int counter, int every = 4096)
    {
        if (Enabled && Interlocked.Increment(ref counter) % every == 0) Release();
    }
}
