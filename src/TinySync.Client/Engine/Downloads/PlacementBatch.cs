using TinySync.Client.Engine.Tuning;
using TinySync.Core.Durability;

namespace TinySync.Client.Engine.Downloads;

/// <summary>
/// Downloaded files placed together behind one durability barrier (decision 0443; the server's seam of 0015). Begun
/// before its first temp file is written, so its barriers cover (and report the write errors of) everything written
/// since; each temp file's writeback is started as it is written; <see cref="FilePlacer.PlaceAsync"/> then makes every
/// file of the batch durable at once, renames each one still as scanned, makes the folders' entries durable at once, and
/// only then records them. This is also where a round's downloads are cut into batches (the numbers are
/// <see cref="PlacementTuning"/>'s).
/// </summary>
internal sealed class PlacementBatch(IDurabilityBatch durability) : IDisposable
{
    /// <summary>The barriers of this batch.</summary>
    public IDurabilityBatch Durability { get; } = durability;

    /// <summary>
    /// How a batch of <paramref name="files"/> files raises its barriers: one <c>syncfs</c> for a batch of at least
    /// <see cref="PlacementTuning.SyncFsFromFiles"/> small files (where the platform reports its errors), else one
    /// <c>fsync</c> per file and folder issued together: a <c>syncfs</c> also waits for every other program's pending
    /// writes on the file system, which a single file (a daemon's quick edit, a large file) should not.
    /// </summary>
    public static DurabilityBarrier BarrierFor(int files) =>
        PlacementTuning.BarrierOverride ?? (files >= PlacementTuning.SyncFsFromFiles ? DurabilityBarrier.Auto : DurabilityBarrier.FsyncTogether);

    /// <summary>Cuts downloads into batches of small files (in order) and the large files, placed one per batch.</summary>
    public static (List<List<Download>> Small, List<Download> Large) Cut(IReadOnlyList<Download> downloads)
    {
        var batches = new List<List<Download>>();
        List<Download>? batch = null;
        long bytes = 0;
        foreach (var d in downloads.Where(d => d.Remote.Size <= PlacementTuning.SmallFileBytes))
        {
            if (batch is null || batch.Count >= PlacementTuning.BatchFiles || bytes + d.Remote.Size > PlacementTuning.BatchBytes)
            {
                batches.Add(batch = []);
                bytes = 0;
            }
            batch.Add(d);
            bytes += d.Remote.Size;
        }
        return (batches, downloads.Where(d => d.Remote.Size > PlacementTuning.SmallFileBytes).ToList());
    }

    /// <summary>Ends the batch (closes the descriptor its barriers use).</summary>
    public void Dispose() => Durability.Dispose();
}
