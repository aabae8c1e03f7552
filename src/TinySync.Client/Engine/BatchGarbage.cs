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

    /// <summary>A blocking, non-compacting gen0+gen1 collection (a few milliseconds), when enabled.</summary>
    public static void Release()
    {
        if (Enabled) GC.Collect(1, GCCollectionMode.Forced, blocking: true, compacting: false);
    }

    /// <summary><see cref="Release"/> every <paramref name="every"/> calls (thread-safe counter).</summary>
    public static void Tick(ref int counter, int every = 4096)
    {
        if (Enabled && Interlocked.Increment(ref counter) % every == 0) Release();
    }
}
