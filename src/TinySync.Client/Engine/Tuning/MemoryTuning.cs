namespace TinySync.Client.Engine.Tuning;

/// <summary>
/// The client's memory tuning, in one place and called only between phases and batches of the engine (decision 0442):
/// when the host asked for it with the runtimeconfig switch <c>TinySync.Client.CollectBetweenBatches</c> (the CLI
/// does), collections at the points where a phase's or a batch's state has just become garbage. Off for embedders,
/// whose GC is theirs to tune (decision 0410). The index, the scanner and the planner know nothing of it.
/// </summary>
internal static class MemoryTuning
{
    static readonly bool Enabled = AppContext.TryGetSwitch("TinySync.Client.CollectBetweenBatches", out var on) && on;

    static int _batches;

    /// <summary>
    /// After a batch (a log page, a commit batch, a download group) and after the scan and the plan: a blocking,
    /// non-compacting gen0+gen1 collection (a few milliseconds); every 16th one is a full (non-compacting)
    /// collection: what a batch still held at a young collection is promoted and dies in gen2, and over a
    /// 100,000-file upload that piled up to tens of MB between the runtime's own gen2 collections.
    /// </summary>
    public static void AfterBatch()
    {
        if (!Enabled) return;
        GC.Collect(Interlocked.Increment(ref _batches) % 16 == 0 ? 2 : 1, GCCollectionMode.Forced, blocking: true, compacting: false);
    }

    /// <summary>
    /// Between phases (before a pull, after it, before the upload): a full, compacting collection that also returns
    /// the freed memory to the OS, when the heap holds more than <see cref="FullCollectionThreshold"/>. The previous
    /// phase's trees, scan and plan sit in gen2 by then, where the young collections never reach, and would otherwise
    /// stay resident while the next phase loads its own. It first yields to the thread pool: a phase that completed
    /// synchronously leaves its callers' frames (and the state they hold) on the stack until it is unwound. Small heaps
    /// (a daemon's quick rounds) only yield.
    /// </summary>
    public static async ValueTask BetweenPhasesAsync()
    {
        if (!Enabled) return;
        await Task.Yield();
        if (GC.GetTotalMemory(false) > FullCollectionThreshold) GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }

    /// <summary>Heap size above which <see cref="BetweenPhasesAsync"/> collects.</summary>
    const long FullCollectionThreshold = 32L << 20;

    /// <summary>
    /// For the length of a sync (the returned scope), an allocation budget watched from a timer rather than counted
    /// inside the loops: each time <see cref="AllocationBudget"/> bytes have been allocated since the last such
    /// collection, <see cref="AfterBatch"/>'s collection runs. A whole-tree loop (an index load, the planner, the scan)
    /// leaves a few hundred bytes of garbage per row that the young collections promote; this is what the per-row
    /// counters of 0412 did, measured by bytes instead of rows, with no call in the index, scanner or planner (0442).
    /// Nothing when tuning is off; an idle daemon runs no timer.
    /// </summary>
    public static IDisposable DuringSync() => Enabled ? new BudgetWatch() : NoScope.Instance;

    /// <summary>Bytes allocated between two collections of <see cref="DuringSync"/>.</summary>
    const long AllocationBudget = 2L << 20;

    sealed class BudgetWatch : IDisposable
    {
        readonly Timer _timer;
        long _last = GC.GetTotalAllocatedBytes(precise: false);

        public BudgetWatch() => _timer = new Timer(_ => Check(), null, dueTime: 10, period: 10);

        int _busy; // a collection that outlasts the period must not be joined by the next tick's

        void Check()
        {
            if (GC.GetTotalAllocatedBytes(precise: false) - _last < AllocationBudget) return;
            if (Interlocked.Exchange(ref _busy, 1) == 1) return;
            AfterBatch();
            _last = GC.GetTotalAllocatedBytes(precise: false);
            Volatile.Write(ref _busy, 0);
        }

        public void Dispose() => _timer.Dispose();
    }

    sealed class NoScope : IDisposable
    {
        public static readonly NoScope Instance = new();
        public void Dispose() { }
    }
}
