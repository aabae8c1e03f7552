using TinySync.Client.Index;
using TinySync.Core.Paths;

namespace TinySync.Client.Scanning;

/// <summary>
/// What this device has synced, for the scan's one question about a symbolic link: was something synced at its path?
/// Both the previous scan's records and the synced base count (a folder renamed here moves its children's records
/// only once the move is committed, so the base may hold a path the previous scan never saw), and a name that differs
/// only in case counts too (a case-only rename of a folder above, or of the file itself on another device). The key
/// map is built on the first link met: a scan without links never builds it (decision 0414).
/// </summary>
internal sealed class SyncedPaths(IReadOnlyDictionary<string, LocalState> previous, IReadOnlyDictionary<string, ItemState>? synced)
{
    Dictionary<string, List<string>>? _byKey;

    /// <summary>The synced paths at <paramref name="rel"/> or at a name that differs from it only in case; empty when none.</summary>
    public List<string> At(string rel)
    {
        _byKey ??= Build();
        return _byKey.TryGetValue(VaultPath.Key(rel), out var paths) ? paths : [];
    }

    Dictionary<string, List<string>> Build()
    {
        var byKey = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        void Add(string p)
        {
            var key = VaultPath.Key(p);
            if (!byKey.TryGetValue(key, out var list)) byKey[key] = list = [];
            if (!list.Contains(p)) list.Add(p);
        }
        foreach (var p in previous.Keys) Add(p);
        if (synced is not null) foreach (var p in synced.Keys) Add(p);
        return byKey;
    }
}
