using TinySync.Client.Index;

namespace TinySync.Client.Engine;

/// <summary>
/// A tree's live path and version per case-insensitive key: what <see cref="RemoteTreeModel.Upsert"/> consults,
/// without the items. <see cref="Upsert"/> gives the same rows as the model's, recorded in <see cref="Changes"/>.
/// </summary>
internal sealed class KeyMap
{
    readonly Dictionary<string, (string Path, long Version)> _byKey = new(PathKeyComparer.Instance);

    /// <summary>The tree's rows, with room for <paramref name="upserts"/> more (no doubling while 100,000 puts land).</summary>
    public KeyMap(IEnumerable<(string Path, long Version)> rows, int upserts)
    {
        foreach (var (path, version) in rows) _byKey[path] = (path, version);
        _byKey.EnsureCapacity(_byKey.Count + upserts);
    }

    /// <summary>True when <paramref name="rows"/> build exactly this map.</summary>
    public bool Holds(IEnumerable<(string Path, long Version)> rows)
    {
        var count = 0;
        foreach (var (path, version) in rows)
        {
            if (!_byKey.TryGetValue(path, out var e) || !string.Equals(e.Path, path, StringComparison.Ordinal) || e.Version != version) return false;
            count++;
        }
        return count == _byKey.Count;
    }

    /// <summary>Rows to write, in order: an item to put, or a path to delete (null item).</summary>
    public List<(string Path, ItemState? Item)> Changes { get; } = [];

    /// <summary>Inserts or replaces like <see cref="RemoteTreeModel.Upsert"/>: not when the key holds a newer version; a
    /// same-key path of another case is removed.</summary>
    public void Upsert(ItemState item)
    {
        if (_byKey.TryGetValue(item.Path, out var other))
        {
            if (other.Version >= item.Version) return;
            if (!string.Equals(other.Path, item.Path, StringComparison.Ordinal))
            {
                _byKey.Remove(other.Path);
                Changes.Add((other.Path, null));
            }
        }
        _byKey[item.Path] = (item.Path, item.Version);
        Changes.Add((item.Path, item));
    }
}
