namespace TinySync.Client.Engine;

/// <summary>Severity of an engine message.</summary>
public enum MessageLevel
{
    /// <summary>Progress and notable actions.</summary>
    Info,
    /// <summary>Something was skipped and will be retried or needs attention; nothing was lost.</summary>
    Warning,
}

/// <summary>Receives the engine's messages and progress. The engine itself never writes to the console.</summary>
public interface ISyncObserver
{
    /// <summary>A one-line message.</summary>
    void Message(MessageLevel level, string text);

    /// <summary>Progress of a phase ("scan", "upload", "download"): done out of total units (bytes for transfers).</summary>
    void Progress(string phase, long done, long total);
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
