namespace TinySync.Client.Scanning;

/// <summary>
/// The local names a link cannot sync, remembered across scans so each is reported once ("not synced: ...") rather
/// than every round. A name that disappears is forgotten, so it is reported again if it comes back.
/// </summary>
public sealed class UnsyncableNames
{
    HashSet<string> _reported = new(StringComparer.Ordinal);
    HashSet<string> _seen = new(StringComparer.Ordinal);

    /// <summary>Notes <paramref name="path"/> in this scan; true the first time it is seen (report it then).</summary>
    public bool FirstTime(string path)
    {
        _seen.Add(path);
        return _reported.Add(path);
    }

    /// <summary>Ends a scan: names not seen in it are forgotten.</summary>
    public void EndScan()
    {
        (_reported, _seen) = (_seen, _reported);
        _seen.Clear();
    }
}
