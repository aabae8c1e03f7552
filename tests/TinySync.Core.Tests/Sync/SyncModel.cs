using TinySync.Core.Contracts;
using TinySync.Core.Paths;

namespace TinySync.Core.Tests.Sync;

/// <summary>
/// A straightforward model of the server's rules (docs/protocol.md#operations) for one container: it makes random valid changes and
/// records the log rows and the live state after every seq, so tests can read "tree pages" at any point in time.
/// </summary>
internal sealed class SyncModel
{
    static readonly string[] Names = ["a", "b", "A", "c", "dir", "Dir"];
    readonly Random _random;
    readonly Dictionary<string, Item> _live = new(StringComparer.Ordinal);
    readonly Guid _device = Guid.NewGuid();

    public SyncModel(int seed) => _random = new Random(seed);

    public List<LogEntry> Log { get; } = [];

    /// <summary>State after seq i (index 0 = empty).</summary>
    public List<Dictionary<string, Item>> States { get; } = [new(StringComparer.Ordinal)];

    public long Head => Log.Count;

    public IReadOnlyDictionary<string, Item> Live => _live;

    /// <summary>Makes one random valid change (tries a few candidates, always commits something).</summary>
    public void Step()
    {
        while (!TryStep()) { }
        States.Add(new Dictionary<string, Item>(_live, StringComparer.Ordinal));
    }

    bool TryStep()
    {
        var dirs = _live.Values.Where(i => i.Kind == ItemKind.Dir).Select(i => i.Path).Prepend(null).ToList();
        var parent = dirs[_random.Next(dirs.Count)];
        var path = VaultPath.Combine(parent, Names[_random.Next(Names.Length)]);
        var items = _live.Values.ToList();
        switch (_random.Next(10))
        {
            case 0 or 1 or 2:
                if (_live.ContainsKey(VaultPath.Key(path))) return false;
                Commit(OpKind.Mkdir, path, null, e => _live[VaultPath.Key(path)] = new Item { Path = path, Kind = ItemKind.Dir, Version = e });
                return true;
            case 3 or 4 or 5:
            {
                var target = _live.GetValueOrDefault(VaultPath.Key(path));
                if (target is { Kind: ItemKind.Dir }) return false;
                if (target is not null) path = target.Path[..^VaultPath.Name(target.Path).Length] + VaultPath.Name(path);
                var size = _random.Next(0, 1000);
                var chunk = new string((char)('a' + _random.Next(6)), 64);
                Commit(OpKind.Put, path, null, e => _live[VaultPath.Key(path)] = new Item
                {
                    Path = path, Kind = ItemKind.File, Version = e, Size = size, Chunks = [chunk], Executable = size % 2 == 0,
                    Mtime = DateTimeOffset.UnixEpoch.AddSeconds(e),
                }, size, [chunk]);
                return true;
            }
            case 6 or 7:
            {
                if (items.Count == 0) return false;
                var victim = items[_random.Next(items.Count)];
                var key = VaultPath.Key(victim.Path);
                Commit(OpKind.Delete, victim.Path, null, _ =>
                {
                    foreach (var k in Under(key)) _live.Remove(k);
                });
                return true;
            }
            default:
            {
                if (items.Count == 0) return false;
                var moved = items[_random.Next(items.Count)];
                var key = VaultPath.Key(moved.Path);
                var newKey = VaultPath.Key(path);
                var caseOnly = string.Equals(key, newKey, StringComparison.Ordinal);
                if (caseOnly && string.Equals(path, moved.Path, StringComparison.Ordinal)) return false;
                if (!caseOnly && (_live.ContainsKey(newKey) || VaultPath.IsSameOrUnder(path, moved.Path))) return false;
                Commit(OpKind.Move, moved.Path, path, e =>
                {
                    var subtree = Under(key).Select(k => _live[k]).ToList();
                    foreach (var item in subtree) _live.Remove(VaultPath.Key(item.Path));
                    foreach (var item in subtree)
                    {
                        var p = path + item.Path[moved.Path.Length..];
                        _live[VaultPath.Key(p)] = item with { Path = p, Version = e };
                    }
                });
                return true;
            }
        }
    }

    List<string> Under(string key) =>
        _live.Keys.Where(k => string.Equals(k, key, StringComparison.Ordinal) || k.StartsWith(key + "/", StringComparison.Ordinal)).ToList();

    void Commit(OpKind kind, string path, string? newPath, Action<long> apply, long? size = null, IReadOnlyList<string>? chunks = null)
    {
        var seq = Head + 1;
        apply(seq);
        var item = kind == OpKind.Put ? _live[VaultPath.Key(path)] : null;
        Log.Add(new LogEntry
        {
            Seq = seq, OpId = Guid.NewGuid(), DeviceId = _device, Kind = kind, Container = "default", Path = path, NewPath = newPath,
            Size = size, Chunks = chunks, Executable = item?.Executable, Mtime = item?.Mtime, CommittedAt = DateTimeOffset.UnixEpoch,
        });
    }

    /// <summary>A tree page as the server would serve it at <paramref name="seq"/>.</summary>
    public TreePage Page(long seq, string? afterKey, int limit)
    {
        var ordered = States[(int)seq].OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Where(kv => afterKey is null || string.CompareOrdinal(kv.Key, afterKey) > 0).Take(limit + 1).ToList();
        var more = ordered.Count > limit;
        if (more) ordered.RemoveAt(ordered.Count - 1);
        return new TreePage(seq, ordered.Select(kv => kv.Value).ToList(), more ? ordered[^1].Key : null);
    }

    /// <summary>A comparable rendering of a state.</summary>
    public static string Render(IEnumerable<Item> items) =>
        string.Join("\n", items.OrderBy(i => VaultPath.Key(i.Path), StringComparer.Ordinal).Select(i =>
            $"{i.Path}|{i.Kind}|v{i.Version}|{i.Size}|{string.Join(",", i.Chunks ?? [])}|{i.Executable}|{i.Mtime:O}"));
}
