using TinySync.Client.Engine;

namespace TinySync.Cli;

/// <summary>What a run moved, counted from the engine's per-item events: the one summary line at the end of a sync.</summary>
internal sealed class SyncSummary
{
    int _up, _down, _deleted, _moved, _conflicts;
    long _upBytes, _downBytes;

    /// <summary>Files uploaded or downloaded so far (for "files done/total").</summary>
    public int FilesDone => Volatile.Read(ref _up) + Volatile.Read(ref _down);

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

    /// <summary>E.g. "3 files up (12.4 MB), 1 down (2.0 KB), 1 conflict"; "nothing to transfer" when nothing moved.</summary>
    public string Line()
    {
        var parts = new List<string>();
        if (_up > 0) parts.Add($"{_up} file{(_up == 1 ? "" : "s")} up ({Term.Bytes(_upBytes)})");
        if (_down > 0) parts.Add($"{_down}{(parts.Count == 0 ? _down == 1 ? " file" : " files" : "")} down ({Term.Bytes(_downBytes)})");
        if (_deleted > 0) parts.Add($"{_deleted} deleted");
        if (_moved > 0) parts.Add($"{_moved} moved");
        if (_conflicts > 0) parts.Add($"{_conflicts} conflict{(_conflicts == 1 ? "" : "s")}");
        return parts.Count == 0 ? "nothing to transfer" : string.Join(", ", parts);
    }

    /// <summary>The log line of one event, e.g. "uploaded docs/a.txt".</summary>
    public static string Describe(SyncEvent e) => e.Kind switch
    {
        SyncEventKind.Uploaded => $"uploaded {e.Path} ({Term.Bytes(e.Bytes)})",
        SyncEventKind.Downloaded => $"downloaded {e.Path} ({Term.Bytes(e.Bytes)})",
        SyncEventKind.Deleted => $"deleted {e.Path} (deleted on the server)",
        SyncEventKind.DeletedOnServer => $"deleted {e.Path} on the server",
        SyncEventKind.Moved => $"moved {e.Path} to {e.NewPath} (moved on the server)",
        SyncEventKind.MovedOnServer => $"moved {e.Path} to {e.NewPath} on the server",
        SyncEventKind.Conflict => $"conflict {e.Path}: both sides changed it; your version is kept as {e.NewPath}",
        _ => $"{e.Kind} {e.Path}",
    };
}
