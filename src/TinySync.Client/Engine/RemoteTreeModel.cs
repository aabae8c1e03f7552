using TinySync.Client.Index;
using TinySync.Core.Contracts;
using TinySync.Core.Paths;

namespace TinySync.Client.Engine;

/// <summary>
/// Applies change-log rows to an in-memory remote tree with version-aware rules, so that a tree page followed by a
/// log replay from an older seq converges: a row never overwrites an item whose version is newer than the row.
/// Tracks which paths changed so the index only writes those.
/// </summary>
public sealed class RemoteTreeModel
{
    readonly Dictionary<string, string> _byKey = new(StringComparer.Ordinal);

    /// <summary>Wraps a tree loaded from the index.</summary>
    public RemoteTreeModel(Dictionary<string, ItemState> items)
    {
        Items = items;
        foreach (var p in items.Keys) _byKey[VaultPath.Key(p)] = p;
    }

    /// <summary>The items by exact path.</summary>
    public Dictionary<string, ItemState> Items { get; }

    /// <summary>The live path with the same case-insensitive key, if any.</summary>
    public string? PathForKey(string path) => _byKey.TryGetValue(VaultPath.Key(path), out var p) ? p : null;

    void Set(ItemState item)
    {
        Items[item.Path] = item;
        _byKey[VaultPath.Key(item.Path)] = item.Path;
        Dirty.Add(item.Path);
    }

    void Remove(string path)
    {
        if (!Items.Remove(path)) return;
        var key = VaultPath.Key(path);
        if (_byKey.TryGetValue(key, out var p) && string.Equals(p, path, StringComparison.Ordinal)) _byKey.Remove(key);
        Dirty.Add(path);
    }

    /// <summary>Paths written or removed since creation.</summary>
    public HashSet<string> Dirty { get; } = new(StringComparer.Ordinal);

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
        if (Items.TryGetValue(item.Path, out var existing) && existing.Version > item.Version) return;
        if (PathForKey(item.Path) is { } other && !string.Equals(other, item.Path, StringComparison.Ordinal))
        {
            if (Items[other].Version > item.Version) return;
            Remove(other);
        }
        Set(item);
    }

    /// <summary>Removes an item and, for a directory, everything under it, except items newer than <paramref name="seq"/>.</summary>
    public void RemoveSubtree(string path, long seq)
    {
        foreach (var p in Subtree(path).ToList())
        {
            if (Items[p].Version > seq) continue;
            Remove(p);
        }
    }

    /// <summary>Renames an item and its subtree; every moved item takes version <paramref name="seq"/> (as the server does).</summary>
    public void Move(string from, string to, long seq)
    {
        var moved = Subtree(from).ToList();
        if (moved.Count == 0) return;
        var updates = new List<ItemState>(moved.Count);
        foreach (var p in moved)
        {
            var item = Items[p];
            Remove(p);
            var suffix = p.Length == from.Length ? "" : p[from.Length..];
            updates.Add(item with { Path = to + suffix, Version = Math.Max(seq, item.Version) });
        }
        foreach (var u in updates) Set(u);
    }

    /// <summary>The path itself (if present) and every item under it (case-insensitive prefix).</summary>
    public IEnumerable<string> Subtree(string path)
    {
        var exact = PathForKey(path);
        if (exact is not null && Items[exact].Kind == ItemKind.File)
        {
            yield return exact;
            yield break;
        }
        foreach (var p in Items.Keys)
        {
            if (VaultPath.IsSameOrUnder(p, path)) yield return p;
        }
    }
}
