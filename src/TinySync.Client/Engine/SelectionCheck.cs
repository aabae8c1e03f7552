using System.Globalization;
using TinySync.Client.FileSystem;
using TinySync.Client.Index;
using TinySync.Client.Scanning;
using TinySync.Client.State;

namespace TinySync.Client.Engine;

/// <summary>A local item a narrower selection would have to remove although it is not synced, and why.</summary>
/// <param name="Path">Vault path.</param>
/// <param name="Reason">Why it counts as not synced.</param>
public sealed record UnsyncedItem(string Path, string Reason);

/// <summary>
/// Before a selection is narrowed (decision 0454): everything on disk that the new selection leaves out must be synced
/// — the disk holds what the index recorded and that is the server's version at the last sync (the base). Reads the
/// folder and the index only (no network); the engine checks each file again right before removing it.
/// </summary>
public static class SelectionCheck
{
    /// <summary>The first item (in path order) that <paramref name="to"/> leaves out and that is not synced, or null.</summary>
    public static UnsyncedItem? FirstUnsynced(Link link, string linkStateDirectory, Selection from, Selection to, IFileSystem? fs = null,
        CancellationToken ct = default)
    {
        var folder = new ContainedFolder(link.Directory, fs ?? RealFileSystem.Instance);
        IReadOnlyDictionary<string, ItemState> @base = new Dictionary<string, ItemState>();
        IReadOnlyDictionary<string, LocalState> previous = new Dictionary<string, LocalState>();
        var scanStarted = long.MinValue;
        // read beside a running daemon: never repaired or created here (a half-created index throws, and select says so)
        using var index = LinkIndex.OpenForReading(linkStateDirectory);
        if (index is not null)
        {
            var remote = index.LoadRemote();
            @base = index.LoadBase(remote);
            previous = index.LoadLocal(remote);
            if (long.TryParse(index.GetMeta("scan_started_ns"), NumberStyles.None, CultureInfo.InvariantCulture, out var s)) scanStarted = s;
        }
        var scan = new Scanner(folder.Disk, NullObserver.Instance, new SyncStats()).Scan(folder, previous, ct, scanStarted, from);
        var found = new List<UnsyncedItem>();
        foreach (var u in scan.Unknown)
        {
            if (!to.Includes(u)) found.Add(new UnsyncedItem(u, "it cannot be read or synced (see `tinysync status`)"));
        }
        foreach (var (path, l) in scan.Local)
        {
            if (to.Includes(path)) continue;
            if (!@base.TryGetValue(path, out var b)) found.Add(new UnsyncedItem(path, "it was made here and is not uploaded yet"));
            else if (!l.SameContent(b)) found.Add(new UnsyncedItem(path, "it changed here since the last sync"));
        }
        return found.OrderBy(f => f.Path, StringComparer.Ordinal).FirstOrDefault();
    }
}
