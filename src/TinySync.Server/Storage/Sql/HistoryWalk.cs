using TinySync.Core.Contracts;
using TinySync.Core.Paths;

namespace TinySync.Server.Storage.Sql;

/// <summary>A file's content at one version.</summary>
internal sealed record HistoryContent(long? Size, IReadOnlyList<string> Chunks, bool? Executable, DateTimeOffset? Mtime);

/// <summary>The version a delete removed at the walked path, and its content.</summary>
internal sealed record RemovedVersion(long Version, HistoryContent Content);

/// <summary>A change-log row as the history walk reads it (with the writing device's display name).</summary>
internal sealed record HistoryRow(long Seq, OpKind Kind, string Path, string Key, string? NewPath, string? NewKey, Guid DeviceId, string? DeviceName,
    DateTimeOffset CommittedAt, HistoryContent? Content);

/// <summary>
/// Walks the change log backwards from an item's current path (decision 0321): rows of the path itself, moves that
/// brought the item there (of the item or of a folder above it, after which the walk continues at the earlier path),
/// and deletes of the item or of a folder it was in. Rows come newest first; <see cref="Apply"/> says when the walk
/// must re-read from an earlier path. A folder move is shown only once the item is known to have been in it.
/// </summary>
internal sealed class HistoryWalk
{
    readonly List<HistoryEntry> _result = [];
    // Folder moves not yet known to have carried this item: confirmed by an older version under the earlier path.
    readonly List<HistoryEntry> _pending = [];
    // Known contents by version: the live item, and what deletes removed.
    readonly Dictionary<long, HistoryContent> _contents = [];
    readonly Dictionary<long, string> _removed = [];
    // The item's version at the walk's position, when known (it confirms a folder move of exactly that seq).
    long? _version;

    public HistoryWalk(string path, Item? live)
    {
        Path = path;
        Key = VaultPath.Key(path);
        _version = live?.Version;
        if (live is { Kind: ItemKind.File, Chunks: not null }) _contents[live.Version] = new HistoryContent(live.Size, live.Chunks, live.Executable, live.Mtime);
    }

    /// <summary>The item's path (and key) at the walk's position.</summary>
    public string Path { get; private set; }

    public string Key { get; private set; }

    public int Count => _result.Count;

    /// <summary>The key of the current path and of every folder above it: the rows that can concern the item.</summary>
    public List<string> Keys()
    {
        var keys = new List<string> { Key };
        for (var p = VaultPath.Parent(Key); p is not null; p = VaultPath.Parent(p)) keys.Add(p);
        return keys;
    }

    public bool IsDeleteOfAncestorOrSelf(HistoryRow row) =>
        row.Kind == OpKind.Delete && (Same(row.Key, Key) || IsAncestor(row.Key, Key));

    /// <summary>A delete of the item or of a folder above it; <paramref name="removed"/> is what it removed at this key, if anything.</summary>
    public void Deleted(HistoryRow row, RemovedVersion? removed)
    {
        var self = Same(row.Key, Key);
        if (!self && removed is null) return; // the folder went, but this item was not in it then
        _pending.Clear();
        _result.Add(Entry(row, OpKind.Delete, self ? row.Path : Path, null, null));
        _version = removed?.Version;
        if (removed is not null)
        {
            _contents.TryAdd(removed.Version, removed.Content);
            _removed.TryAdd(removed.Version, Path);
        }
    }

    /// <summary>Applies one row (not a delete); returns the seq to re-read below when the walk moved to an earlier path.</summary>
    public long? Apply(HistoryRow row)
    {
        if (Same(row.Key, Key))
        {
            if (row.Kind == OpKind.Move) Add(Entry(row, OpKind.Move, row.NewPath!, row.Path, null)); // the item left this path
            else Add(Entry(row, row.Kind, row.Path, null, row.Content));
            return null;
        }
        if (row.NewKey is null) return null; // a put or mkdir of a folder above: not about this item
        if (Same(row.NewKey, Key))
        {
            Add(Entry(row, OpKind.Move, row.NewPath!, row.Path, null));
            Path = row.Path;
            Key = row.Key;
            return row.Seq;
        }
        if (!IsAncestor(row.NewKey, Key)) return null; // a folder above moved away: the item at this path came later
        var earlier = row.Path + Path[row.NewPath!.Length..];
        var entry = Entry(row, OpKind.Move, Path, earlier, null);
        if (_version == row.Seq) Add(entry);
        else _pending.Add(entry);
        _version = null;
        Path = earlier;
        Key = VaultPath.Key(earlier);
        return row.Seq;
    }

    /// <summary>Versions that deletes removed but whose rows the walk did not meet (older than the window).</summary>
    public List<(long Seq, string Path)> MissingRemovedVersions() =>
        _removed.Where(r => !_result.Exists(e => e.Seq == r.Key)).Select(r => (r.Key, r.Value)).ToList();

    /// <summary>Adds the row that made a removed version, as it was at the path where it was deleted.</summary>
    public void AddRemovedVersion(HistoryRow row, string path)
    {
        var movedFrom = row.Kind == OpKind.Move && row.NewPath is not null && path.Length >= row.NewPath.Length
            ? row.Path + path[row.NewPath.Length..]
            : null;
        _result.Add(Entry(row, row.Kind, path, movedFrom, row.Content));
    }

    /// <summary>Newest first; a move shows the content the item had (known from the live item, a delete, or the version before it).</summary>
    public List<HistoryEntry> Result()
    {
        _result.Sort((a, b) => b.Seq.CompareTo(a.Seq));
        HistoryContent? content = null;
        for (var i = _result.Count - 1; i >= 0; i--)
        {
            var e = _result[i];
            var known = _contents.GetValueOrDefault(e.Seq);
            switch (e.Kind)
            {
                case OpKind.Put:
                    content = known ?? (e.Chunks is null ? null : new HistoryContent(e.Size, e.Chunks, e.Executable, e.Mtime));
                    break;
                case OpKind.Move:
                    content = known ?? content;
                    if (content is not null) _result[i] = e with { Size = content.Size, Chunks = content.Chunks, Executable = content.Executable, Mtime = content.Mtime };
                    break;
                default:
                    content = null;
                    break;
            }
        }
        return _result;
    }

    void Add(HistoryEntry entry)
    {
        // An older version under the earlier path: the folder moves above it did carry the item.
        _result.AddRange(_pending);
        _pending.Clear();
        _result.Add(entry);
        _version = null;
    }

    static HistoryEntry Entry(HistoryRow row, OpKind kind, string path, string? movedFrom, HistoryContent? content) => new()
    {
        Seq = row.Seq,
        Kind = kind,
        Path = path,
        MovedFrom = movedFrom,
        DeviceId = row.DeviceId,
        DeviceName = row.DeviceName,
        CommittedAt = row.CommittedAt,
        Size = content?.Size,
        Chunks = content?.Chunks,
        Executable = content?.Executable,
        Mtime = content?.Mtime,
    };

    static bool Same(string a, string b) => string.Equals(a, b, StringComparison.Ordinal);

    static bool IsAncestor(string ancestorKey, string key) =>
        key.Length > ancestorKey.Length && key[ancestorKey.Length] == '/' && key.StartsWith(ancestorKey, StringComparison.Ordinal);
}
