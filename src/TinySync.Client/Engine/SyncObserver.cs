using TinySync.Client.Api;

namespace TinySync.Client.Engine;

/// <summary>Severity of an engine message.</summary>
public enum MessageLevel
{
    /// <summary>Progress and notable actions.</summary>
    Info,
    /// <summary>Something was skipped and will be retried or needs attention; nothing was lost.</summary>
    Warning,
    /// <summary>A change of state the user asked for or should see (a link paused or resumed); not a problem.</summary>
    Notice,
}

/// <summary>Receives the engine's messages and progress. The engine itself never writes to the console.</summary>
public interface ISyncObserver
{
    /// <summary>A one-line message.</summary>
    void Message(MessageLevel level, string text);

    /// <summary>Progress of a phase ("scan", "upload", "download"): done out of total units (bytes for transfers).</summary>
    void Progress(string phase, long done, long total);

    /// <summary>A round's plan: what it is about to move (for "files done/total"). Called once per round, may be empty.</summary>
    void Planned(PlanTotals totals) { }

    /// <summary>One item done: uploaded, downloaded, deleted, moved, or kept as a conflict copy (the daemon logs these).</summary>
    void Done(SyncEvent e) { }

    /// <summary>A request to the server failed and will be retried after <see cref="RetryNotice.Delay"/>.</summary>
    void Retrying(RetryNotice notice) { }

    /// <summary>
    /// A name the scan keeps out of the vault (not portable, not NFC), said at every scan that meets it (the warning
    /// <see cref="Message"/> says it once); <paramref name="shown"/> is the printable name.
    /// </summary>
    void Unsyncable(string shown, string reason) { }
}

/// <summary>What one item's change was.</summary>
public enum SyncEventKind
{
    /// <summary>This device's file version was committed on the server.</summary>
    Uploaded,
    /// <summary>The server's version was written into the folder.</summary>
    Downloaded,
    /// <summary>Deleted from the folder because it was deleted on the server.</summary>
    Deleted,
    /// <summary>This device's delete was committed on the server.</summary>
    DeletedOnServer,
    /// <summary>Renamed in the folder because it was moved on the server.</summary>
    Moved,
    /// <summary>This device's move was committed on the server.</summary>
    MovedOnServer,
    /// <summary>Both sides changed it: this device's version was kept as a conflict copy (<see cref="SyncEvent.NewPath"/>).</summary>
    Conflict,
    /// <summary>Removed from the folder because it is outside the selection; the server keeps it (decision 0453).</summary>
    Unselected,
}

/// <summary>One item done.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="Path">Vault path ('/'-separated, relative to the link).</param>
/// <param name="Bytes">File size for transfers, else 0.</param>
/// <param name="NewPath">The new path of a move, or the conflict copy's path.</param>
public sealed record SyncEvent(SyncEventKind Kind, string Path, long Bytes, string? NewPath = null);

/// <summary>Files and bytes a round's plan will move.</summary>
/// <param name="UploadFiles">Files to upload.</param>
/// <param name="UploadBytes">Their size (the bytes sent are fewer when chunks are already on the server).</param>
/// <param name="DownloadFiles">Files to download.</param>
/// <param name="DownloadBytes">Their size (fewer bytes travel when chunks are found on disk).</param>
/// <param name="Other">Other actions: folders, deletes, moves, conflicts.</param>
public sealed record PlanTotals(int UploadFiles, long UploadBytes, int DownloadFiles, long DownloadBytes, int Other)
{
    /// <summary>Counts a plan.</summary>
    public static PlanTotals Of(Plan plan)
    {
        int up = 0, down = 0, other = 0;
        long upBytes = 0, downBytes = 0;
        foreach (var a in plan.Actions)
        {
            switch (a)
            {
                case UploadPut p: up++; upBytes += p.Local.Size; break;
                case Download d: down++; downBytes += d.Remote.Size; break;
                case AdoptBase: break;
                default: other++; break;
            }
        }
        return new PlanTotals(up, upBytes, down, downBytes, other);
    }
}

/// <summary>Discards everything.</summary>
public sealed class NullObserver : ISyncObserver
{
    /// <summary>The instance.</summary>
    public static NullObserver Instance { get; } = new();

    /// <inheritdoc/>
    public void Message(MessageLevel level, string text) { }

    /// <inheritdoc/>
    public void Progress(string phase, long done, long total) { }
}

/// <summary>Counters of one engine, for tests and benchmarks (thread-safe).</summary>
public sealed class SyncStats
{
    long _chunksUploaded, _bytesUploaded, _chunksDownloaded, _bytesDownloaded, _chunksReused, _filesHashed, _opsCommitted, _echoSkipped, _conflicts;

    /// <summary>Chunks sent with PUT.</summary>
    public long ChunksUploaded => Interlocked.Read(ref _chunksUploaded);
    /// <summary>Bytes sent with PUT.</summary>
    public long BytesUploaded => Interlocked.Read(ref _bytesUploaded);
    /// <summary>Chunks fetched with GET.</summary>
    public long ChunksDownloaded => Interlocked.Read(ref _chunksDownloaded);
    /// <summary>Bytes fetched with GET.</summary>
    public long BytesDownloaded => Interlocked.Read(ref _bytesDownloaded);
    /// <summary>Chunks copied from local files instead of downloaded.</summary>
    public long ChunksReused => Interlocked.Read(ref _chunksReused);
    /// <summary>Files read and chunked by the scanner.</summary>
    public long FilesHashed => Interlocked.Read(ref _filesHashed);
    /// <summary>Ops committed.</summary>
    public long OpsCommitted => Interlocked.Read(ref _opsCommitted);
    /// <summary>Own log rows skipped (echo suppression).</summary>
    public long EchoSkipped => Interlocked.Read(ref _echoSkipped);
    /// <summary>Conflict copies created.</summary>
    public long Conflicts => Interlocked.Read(ref _conflicts);

    internal void Uploaded(long bytes) { Interlocked.Increment(ref _chunksUploaded); Interlocked.Add(ref _bytesUploaded, bytes); }
    internal void Downloaded(long bytes) { Interlocked.Increment(ref _chunksDownloaded); Interlocked.Add(ref _bytesDownloaded, bytes); }
    internal void Reused() => Interlocked.Increment(ref _chunksReused);
    internal void Hashed() => Interlocked.Increment(ref _filesHashed);
    internal void Committed(int n) => Interlocked.Add(ref _opsCommitted, n);
    internal void Echo() => Interlocked.Increment(ref _echoSkipped);
    internal void Conflict() => Interlocked.Increment(ref _conflicts);
}
