using TinySync.Client.Engine;
using TinySync.Client.Index;

namespace TinySync.Client.Scanning;

/// <summary>
/// What this device has synced, for the scan's one question about a symbolic link: was something synced at its path?
/// Both the previous scan's records and the synced base count (a folder renamed here moves its children's records
/// only once the move is committed, so the base may hold a path the previous scan never saw), and a name that differs
/// only in case counts too (a case-only rename of a folder above, or of the file itself on another device). The base
/// and the maps by key are loaded on the first link met: a scan without links loads none of them (decision 0414).
/// </summary>
internal sealed class SyncedPaths(IReadOnlyDictionary<string, LocalState> previous, Func<IReadOnlyDictionary<string, ItemState>>? synced)
{
    IReadOnlyDictionary<string, ItemState>? _base;
    Dictionary<string, string>? _previousByKey, _baseByKey;

    /// <summary>The synced paths at <paramref name="rel"/> or at a name that differs from it only in case; empty when none.</summary>
    public List<string> At(string rel)
    {
        _base ??= synced?.Invoke() ?? new Dictionary<string, ItemState>();
        _previousByKey ??= ByKey(previous.Keys);
        _baseByKey ??= ByKey(_base.Keys);
        var found = new List<string>(2);
        void Add(string p)
        {
            if (!found.Contains(p)) found.Add(p);
        }
        if (previous.ContainsKey(rel) || _base.ContainsKey(rel)) Add(rel);
        if (_previousByKey.TryGetValue(rel, out var p1)) Add(p1);
        if (_baseByKey.TryGetValue(rel, out var p2)) Add(p2);
        return found;
    }

    static Dictionary<string, string> ByKey(IEnumerable<string> paths)
    {
        var byKey = new Dictionary<string, string>(PathKeyComparer.Instance);
        foreach (var p in paths) byKey.TryAdd(p, p);
        return byKey;
    }
}
