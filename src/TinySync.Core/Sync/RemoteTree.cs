using TinySync.Core.Contracts;
using TinySync.Core.Paths;

namespace TinySync.Core.Sync;

/// <summary>What <see cref="RemoteTree.Apply"/> did with a log entry.</summary>
public enum ApplyResult
{
    /// <summary>The entry changed the model.</summary>
    Applied,
    /// <summary>The model already reflects the entry (it was replayed before, or a tree page showed a later state).</summary>
    AlreadyReflected,
    /// <summary>The entry is about another container; the model ignores it.</summary>
    OtherContainer,
    /// <summary>
    /// A move committed while the tree pages were being read: items it carried from a page not yet read into one
    /// already read appear in no page, and a log row carries no file contents. Nothing was applied; discard the
    /// model and bootstrap again.
    /// </summary>
    TornSnapshot,
}

/// <summary>
/// An in-memory model of a container's live items, as the server holds them, built from tree pages and log rows.
/// Replaying is version-aware and idempotent, so "tree pages (read while commits happen) + the log after the first
/// page's seq" converges to the same state as replaying the whole log:
/// <list type="bullet">
/// <item><c>put</c>/<c>mkdir</c> at seq X: skipped when the item exists with version ≥ X; otherwise it sets the item.</item>
/// <item><c>delete</c> at X: removes the item and its subtree entries whose version is below X.</item>
/// <item><c>move</c> P→Q at X: entries under P with version below X move to Q with version X; a moved entry is
/// dropped when Q's side already has that key with version ≥ X.</item>
/// </list>
/// Items are keyed by <see cref="VaultPath.Key"/>, like the server's case-insensitive uniqueness.
/// </summary>
public sealed class RemoteTree
{
    readonly Dictionary<string, Item> _items = new(StringComparer.Ordinal);

    /// <summary>A model of one container.</summary>
    public RemoteTree(string container = "default") => Container = container;

    /// <summary>The container this model follows.</summary>
    public string Container { get; }

    /// <summary>
    /// The log cursor: every log row up to it is reflected. After tree pages, the FIRST page's seq; then the seq
    /// of the last applied log row.
    /// </summary>
    public long Seq { get; private set; }

    /// <summary>The seq of the first tree page loaded (null when the model was not bootstrapped from pages).</summary>
    public long? SnapshotFrom { get; private set; }

    /// <summary>The seq of the last tree page loaded.</summary>
    public long SnapshotTo { get; private set; }

    /// <summary>Number of live items.</summary>
    public int Count => _items.Count;

    /// <summary>The live items, ordered by path key.</summary>
    public IReadOnlyList<Item> Items => _items.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Value).ToList();

    /// <summary>The live item at a path (case-insensitive), or null.</summary>
    public Item? Find(string path) => _items.GetValueOrDefault(VaultPath.Key(path));

    /// <summary>
    /// Loads one tree page. The first page's seq becomes the cursor; items newer than it (commits that happened
    /// while paging) are kept, and replaying their log rows later is a no-op.
    /// </summary>
    public void LoadPage(TreePage page)
    {
        ArgumentNullException.ThrowIfNull(page);
        if (SnapshotFrom is null)
        {
            SnapshotFrom = page.Seq;
            Seq = page.Seq;
        }
        SnapshotTo = Math.Max(SnapshotTo, page.Seq);
        foreach (var item in page.Entries)
        {
            var key = VaultPath.Key(item.Path);
            if (_items.TryGetValue(key, out var existing) && existing.Version >= item.Version) continue;
            _items[key] = item;
        }
    }

    /// <summary>Applies one log row with the version-aware rules; see <see cref="ApplyResult"/>.</summary>
    public ApplyResult Apply(LogEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (!string.Equals(entry.Container, Container, StringComparison.Ordinal))
        {
            Seq = Math.Max(Seq, entry.Seq);
            return ApplyResult.OtherContainer;
        }
        if (entry.Kind == OpKind.Move && SnapshotFrom is { } from && entry.Seq > from && entry.Seq <= SnapshotTo)
            return ApplyResult.TornSnapshot;
        var changed = entry.Kind switch
        {
            OpKind.Put or OpKind.Mkdir => Set(entry),
            OpKind.Delete => Delete(entry),
            OpKind.Move => Move(entry),
            _ => false,
        };
        Seq = Math.Max(Seq, entry.Seq);
        return changed ? ApplyResult.Applied : ApplyResult.AlreadyReflected;
    }

    bool Set(LogEntry e)
    {
        var key = VaultPath.Key(e.Path);
        if (_items.TryGetValue(key, out var existing) && existing.Version >= e.Seq) return false;
        _items[key] = e.Kind == OpKind.Mkdir
            ? new Item { Path = e.Path, Kind = ItemKind.Dir, Version = e.Seq }
            : new Item { Path = e.Path, Kind = ItemKind.File, Version = e.Seq, Size = e.Size, Chunks = e.Chunks, Executable = e.Executable, Mtime = e.Mtime };
        return true;
    }

    bool Delete(LogEntry e)
    {
        var stale = Subtree(VaultPath.Key(e.Path)).Where(kv => kv.Value.Version < e.Seq).Select(kv => kv.Key).ToList();
        foreach (var key in stale) _items.Remove(key);
        return stale.Count > 0;
    }

    bool Move(LogEntry e)
    {
        if (e.NewPath is null) return false;
        var key = VaultPath.Key(e.Path);
        var moving = Subtree(key).Where(kv => kv.Value.Version < e.Seq).ToList();
        foreach (var (k, _) in moving) _items.Remove(k);
        foreach (var (k, item) in moving)
        {
            // The suffix below the moved root, spelled as the item spells it (keys and paths have equal length).
            var path = e.NewPath + item.Path[key.Length..];
            var newKey = VaultPath.Key(path);
            if (_items.TryGetValue(newKey, out var there) && there.Version >= e.Seq) continue;
            _items[newKey] = item with { Path = path, Version = e.Seq };
        }
        return moving.Count > 0;
    }

    IEnumerable<KeyValuePair<string, Item>> Subtree(string key)
    {
        var prefix = key + "/";
        return _items.Where(kv => string.Equals(kv.Key, key, StringComparison.Ordinal) || kv.Key.StartsWith(prefix, StringComparison.Ordinal)).ToList();
    }
}
