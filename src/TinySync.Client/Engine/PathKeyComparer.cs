using System.Text;
using TinySync.Core.Paths;

namespace TinySync.Client.Engine;

/// <summary>
/// Equality of paths by their <see cref="VaultPath.Key"/> (the server's case-insensitive uniqueness), without
/// allocating the key: ASCII paths (the common case) compare and hash in place; any other path falls back to comparing
/// and hashing its key, so the result is exactly that of comparing keys. A map keyed by path with this comparer
/// replaces a map keyed by <c>VaultPath.Key(path)</c> — one upper-cased copy of every path less (decision 0412).
/// </summary>
internal sealed class PathKeyComparer : IEqualityComparer<string>
{
    /// <summary>The instance.</summary>
    public static readonly PathKeyComparer Instance = new();

    PathKeyComparer() { }

    /// <inheritdoc/>
    public bool Equals(string? x, string? y)
    {
        if (ReferenceEquals(x, y)) return true;
        if (x is null || y is null) return false;
        // invariant upper-casing maps ASCII letters only to ASCII letters, and nothing else in ASCII changes
        if (Ascii.IsValid(x) && Ascii.IsValid(y)) return Ascii.EqualsIgnoreCase(x, y);
        return string.Equals(VaultPath.Key(x), VaultPath.Key(y), StringComparison.Ordinal);
    }

    /// <inheritdoc/>
    public int GetHashCode(string obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        // equal keys hash equally: an ASCII path's key differs from it in ASCII case only, and a key that equals an
        // ASCII path's key is itself ASCII
        return string.GetHashCode(Ascii.IsValid(obj) ? obj : VaultPath.Key(obj), StringComparison.OrdinalIgnoreCase);
    }
}
