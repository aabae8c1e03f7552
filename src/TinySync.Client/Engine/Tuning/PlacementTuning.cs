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

    /// <summary>Placement batches of small files in flight.</summary>
    public const int BatchesInFlight = 4;

    /// <summary>Chunks fetched ahead while a large file is written.</summary>
    public const int LargeFileLookahead = 4;

    /// <summary>Large files in flight (16 chunk requests).</summary>
    public const int LargeFilesInFlight = 16 / LargeFileLookahead;

    /// <summary>A temp file's writeback is started every this many bytes written (and at its end).</summary>
    public const long WritebackBytes = 8 * 1024 * 1024;
}
