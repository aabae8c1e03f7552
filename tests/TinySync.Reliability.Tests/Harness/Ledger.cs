using System.Security.Cryptography;

namespace TinySync.Reliability.Tests.Harness;

/// <summary>
/// Every content any device's user wrote, and which of them a user knowingly destroyed. A content is "superseded"
/// only when a user overwrote, truncated, appended to or deleted it on a device where it was on disk at that moment,
/// i.e. a device that had already seen it. Everything else must survive somewhere: at its path or in a conflict copy.
/// </summary>
public sealed class Ledger
{
    readonly Dictionary<string, string> _written = new(StringComparer.Ordinal);
    readonly Dictionary<string, string> _superseded = new(StringComparer.Ordinal);

    public static string Hash(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    public static readonly string Empty = Hash([]);

    public void Wrote(byte[] content, string by) => _written.TryAdd(Hash(content), by);

    public void Superseded(string hash, string by) => _superseded.TryAdd(hash, by);

    /// <summary>True when some user wrote exactly these bytes (or they are empty): anything else on disk is torn.</summary>
    public bool IsKnown(string hash) => hash == Empty || _written.ContainsKey(hash);

    /// <summary>Contents that must exist at the end: written, non-empty, never destroyed by a device that had seen them.</summary>
    public IEnumerable<(string Hash, string WrittenBy)> MustSurvive() =>
        _written.Where(kv => kv.Key != Empty && !_superseded.ContainsKey(kv.Key)).Select(kv => (kv.Key, kv.Value));

    public int Count => _written.Count;
}
