using TinySync.Client.Index;
using TinySync.Core.Contracts;
using TinySync.Core.Paths;

namespace TinySync.Client.Engine;

/// <summary>
/// Applies change-log rows (and the engine's own commit results) to the remote tree loaded from the index, with the
/// same version-aware rules as <see cref="TinySync.Core.Sync.RemoteTree"/> (the shared reference model; a unit test
/// checks both agree on random logs), but incrementally: it tracks which paths changed so a pull writes only those
/// rows instead of re-reading and re-writing a 100,000-item tree.
/// </summary>
public sealed class RemoteTreeModel
{
    readonly Dictionary<string, string> _byKey; // live path by path, compared by key (no upper-cased copies)
    SortedSet<string>? _keys; // range queries for subtrees: built on the first move or delete (puts never need it)

    /// <summary>Wraps a tree loaded from the index.</summary>
    public RemoteTreeModel(Dictionary<string, ItemState> items)
    {
        Items = items;
        _byKey = new Dictionary<string, string>(items.Count, PathKeyComparer.Instance);
        foreach (var p in items.Keys) _byKey[p] = p;
    }

    SortedSet<string> Keys => _keys ??= new SortedSet<string>(_byKey.Values.Select(VaultPath.Key), StringComparer.Ordinal);

    /// <summary>The items by exact path.</summary>
    public Dictionary<string, ItemState> Items { get; }

    /// <summary>The live path with the same case-insensitive key, if any.</summary>
    public string? PathForKey(string path) => _byKey.TryGetValue(path, out var p) ? p : null;

    void Set(ItemState item)
    {
        Items[item.Path] = item;
        _byKey[item.Path] = item.Path;
        _keys?.Add(VaultPath.Key(item.Path));
        Dirty.Add(item.Path);
    }

    void Remove(string path)
    {
        if (!Items.Remove(path)) return;
        if (_byKey.TryGetValue(path, out var p) && string.Equals(p, path, StringComparison.Ordinal))
        {
            _byKey.Remove(path);
            _keys?.Remove(VaultPath.Key(path));
        }
        Dirty.Add(path);
    }

    /// <summary>Paths written or removed since creation.</summary>
    public HashSet<string> Dirty { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The first row that contradicted this tree: another device's delete or move of a path the tree does not hold, or
    /// its move of a path the tree holds only with a NEWER version. On the server the path existed just before that row,
    /// so a tree replayed faithfully holds it at an older version. A move this device applied at commit time from a view
    /// behind the server's can leave such a tree (an item deleted by an earlier row stays behind at the target, decision
    /// 0713); so can a put committed from such a view at a path another device had just moved away (the replayed move
    /// finds only this device's newer file and moves nothing: its target would be missing, decision 0722). The engine then
    /// reads the server's tree again.
    /// </summary>
    public LogEntry? Contradiction { get; private set; }

    /// <summary>Applies one log row; <paramref name="foreign"/> when another device wrote it.</summary>
    public void Apply(LogEntry e, bool foreign)
    {
        if (foreign && Contradiction is null && e.Kind is OpKind.Delete or OpKind.Move)
        {
            var held = PathForKey(e.Path);
            if (held is null || (e.Kind == OpKind.Move && Items[held].Version > e.Seq)) Contradiction = e;
        }
        Apply(e);
    }

    /// <summary>Applies one log row.</summary>
    public void Apply(LogEntry e)
    {
        switch (e.Kind)
        {
            case OpKind.Put:
                Upsert(new ItemState
                {
                    Path = e.Path, Kind = ItemKind.File, Version = e.Seq, Size = e.Size ?? 0, Chunks = e.Chunks ?? [],
                    Executable = e.Executable ?? false, Mtime = e.Mtime,
                });
                break;
            case OpKind.Mkdir:
                Upsert(new ItemState { Path = e.Path, Kind = ItemKind.Dir, Version = e.Seq });
                break;
            case OpKind.Delete:
                RemoveSubtree(e.Path, e.Seq);
                break;
            case OpKind.Move when e.NewPath is not null:
                Move(e.Path, e.NewPath, e.Seq);
                break;
        }
    }

    /// <summary>Inserts or replaces an item unless a newer version is known; removes same-key paths of another case.</summary>
    public void Upsert(ItemState item)
    {
        if (PathForKey(item.Path) is { } other)
        {
            if (Items[other].Version >= item.Version) return;
            Remove(other);
        }
        Set(item);
    }

    /// <summary>Removes an item and, for a directory, everything under it, except items newer than <paramref name="seq"/>.</summary>
    public void RemoveSubtree(string path, long seq)
    {
        foreach (var p in Subtree(path).ToList())
        {
            if (Items[p].Version >= seq) continue;
            Remove(p);
        }
    }

    /// <summary>Renames an item and its subtree; every moved item takes version <paramref name="seq"/> (as the server does).</summary>
    public void Move(string from, string to, long seq)
    {
        var moved = Subtree(from).Where(p => Items[p].Version < seq).ToList();
        if (moved.Count == 0) return;
        var updates = new List<ItemState>(moved.Count);
        foreach (var p in moved)
        {
            var item = Items[p];
            Remove(p);
            updates.Add(item with { Path = to + p[from.Length..], Version = seq });
        }
        foreach (var u in updates)
        {
            // An item already at the target with this very version came from this same move, applied at commit time
            // from a view that may have been behind; the replayed row carries the source as the server had it.
            if (PathForKey(u.Path) is { } there && Items[there].Version > seq) continue;
            if (PathForKey(u.Path) is { } stale) Remove(stale);
            Set(u);
        }
    }

    /// <summary>The path itself (if present) and every item under it (case-insensitive), in O(log n + k).</summary>
    public IEnumerable<string> Subtree(string path)
    {
        var key = VaultPath.Key(path);
        var result = new List<string>();
        if (_byKey.TryGetValue(key, out var exact)) result.Add(exact);
        // keys under K are K/..., which sort between "K/" and "K0" ('0' follows '/')
        foreach (var k in Keys.GetViewBetween(key + "/", key + "0"))
        {
            if (k.Length > key.Length && k[key.Length] == '/' && _byKey.TryGetValue(k, out var p)) result.Add(p);
        }
        return result;
    }
}
