using TinySync.Client.Engine;

namespace TinySync.Cli;

/// <summary>What a run moved, counted from the engine's per-item events: the one summary line at the end of a sync.</summary>
internal sealed class SyncSummary
{
    readonly SyncTally _tally = new();

    /// <summary>Files uploaded or downloaded so far (for "files done/total").</summary>
    public int FilesDone => _tally.FilesDone;

    public void Add(SyncEvent e) => _tally.Add(e);

    /// <summary>E.g. "3 files up (12.4 MB), 1 down (2.0 KB), 1 conflict"; "nothing to transfer" when nothing moved.</summary>
    public string Line() => Line(_tally.Snapshot());

    /// <summary>The summary line of some counts.</summary>
    public static string Line(SyncCounts c)
    {
        var parts = new List<string>();
        if (c.FilesUp > 0) parts.Add($"{c.FilesUp} file{(c.FilesUp == 1 ? "" : "s")} up ({Term.Bytes(c.BytesUp)})");
        if (c.FilesDown > 0) parts.Add($"{c.FilesDown}{(parts.Count == 0 ? c.FilesDown == 1 ? " file" : " files" : "")} down ({Term.Bytes(c.BytesDown)})");
        if (c.Deleted > 0) parts.Add($"{c.Deleted} deleted");
        if (c.Moved > 0) parts.Add($"{c.Moved} moved");
        if (c.Conflicts > 0) parts.Add($"{c.Conflicts} conflict{(c.Conflicts == 1 ? "" : "s")}");
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
        SyncEventKind.Unselected => $"removed {e.Path} from this folder (outside the selection; the server keeps it)",
        _ => $"{e.Kind} {e.Path}",
    };
}
