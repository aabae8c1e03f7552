using TinySync.Core.Durability;

namespace TinySync.Client.Engine.Tuning;

/// <summary>
/// The numbers that cut a round's downloads into placement batches (decision 0443), in one place beside the memory
/// tuning: how many small files share one durability barrier, how many batches and large files are in flight, and how
/// often a large file's writeback is started. What each measured is in the decision.
/// </summary>
internal static class PlacementTuning
{
    /// <summary>Files up to this size are downloaded in batches; larger ones are placed one by one.</summary>
    public const long SmallFileBytes = 1024 * 1024;

    /// <summary>Small files per placement batch: one fetch, one data barrier, one directory barrier, one index transaction.</summary>
    public const int BatchFiles = 256;

    /// <summary>Bytes per placement batch (its fetched chunks are held until its files are written).</summary>
    public const long BatchBytes = 8 * 1024 * 1024;

    /// <summary>A placement batch of at least this many files raises one <c>syncfs</c> per barrier (Linux 5.8 and later).</summary>
    public const int SyncFsFromFiles = 16;

    /// <summary>
    /// For measuring only (<c>bench/scripts/client-before-after.sh</c>): <c>TINYSYNC_PLACEMENT_BARRIER=fsync</c> or
    /// <c>syncfs</c> makes every placement batch raise its barriers that way; unset, <see cref="SyncFsFromFiles"/> decides.
    /// </summary>
    public static readonly DurabilityBarrier? BarrierOverride = Environment.GetEnvironmentVariable("TINYSYNC_PLACEMENT_BARRIER") switch
    {
        "fsync" => DurabilityBarrier.FsyncTogether,
        "syncfs" => DurabilityBarrier.SyncFs,
        _ => null,
    };

    /// <summary>Placement batches of small files in flight.</summary>
    public const int BatchesInFlight = 4;

    /// <summary>Chunks fetched ahead while a large file is written.</summary>
    public const int LargeFileLookahead = 4;

    /// <summary>Large files in flight (16 chunk requests).</summary>
    public const int LargeFilesInFlight = 16 / LargeFileLookahead;

    /// <summary>A temp file's writeback is started every this many bytes written (and at its end).</summary>
    public const long WritebackBytes = 8 * 1024 * 1024;
}
