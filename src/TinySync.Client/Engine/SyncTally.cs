namespace TinySync.Client.Engine;

/// <summary>What a sync moved: files and bytes up and down, deletes, moves, conflict copies.</summary>
public sealed record SyncCounts(int FilesUp, long BytesUp, int FilesDown, long BytesDown, int Deleted, int Moved, int Conflicts)
{
    /// <summary>Nothing moved.</summary>
    public static SyncCounts None { get; } = new(0, 0, 0, 0, 0, 0, 0);
}

/// <summary>Counts the engine's per-item events (thread-safe): the summary of a run or of a daemon's cycle.</summary>
public sealed class SyncTally
{
    int _up, _down, _deleted, _moved, _conflicts;
    long _upBytes, _downBytes;

    /// <summary>Files uploaded or downloaded so far.</summary>
    public int FilesDone => Volatile.Read(ref _up) + Volatile.Read(ref _down);

    /// <summary>Counts one event.</summary>
    public void Add(SyncEvent e)
    {
        switch (e.Kind)
        {
            case SyncEventKind.Uploaded: Interlocked.Increment(ref _up); Interlocked.Add(ref _upBytes, e.Bytes); break;
            case SyncEventKind.Downloaded: Interlocked.Increment(ref _down); Interlocked.Add(ref _downBytes, e.Bytes); break;
            case SyncEventKind.Deleted or SyncEventKind.DeletedOnServer: Interlocked.Increment(ref _deleted); break;
            case SyncEventKind.Moved or SyncEventKind.MovedOnServer: Interlocked.Increment(ref _moved); break;
            case SyncEventKind.Conflict: Interlocked.Increment(ref _conflicts); break;
        }
    }

    /// <summary>The counts so far.</summary>
    public SyncCounts Snapshot() => new(Volatile.Read(ref _up), Interlocked.Read(ref _upBytes), Volatile.Read(ref _down),
        Interlocked.Read(ref _downBytes), Volatile.Read(ref _deleted), Volatile.Read(ref _moved), Volatile.Read(ref _conflicts));
}
