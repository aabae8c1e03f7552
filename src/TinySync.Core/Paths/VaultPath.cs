using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace TinySync.Core.Paths;

/// <summary>
/// Vault item paths (docs/protocol.md#paths): relative, <c>/</c>-separated, Unicode NFC, no empty, <c>.</c> or <c>..</c> segments,
/// no NUL, control characters or <c>\</c>, each segment at most 255 UTF-8 bytes, the whole path at most 4096 bytes.
/// Uniqueness is case-insensitive and case-preserving: <see cref="Key"/> gives the comparison key.
/// </summary>
public static class VaultPath
{
    /// <summary>Maximum UTF-8 length of a whole path.</summary>
    public const int MaxBytes = 4096;

    /// <summary>Maximum UTF-8 length of one segment.</summary>
    public const int MaxSegmentBytes = 255;

    /// <summary>
    /// Validates a path. A path that is valid except for not being NFC is rejected (the client normalizes before
    /// sending), so two spellings of one name can never both reach the server.
    /// </summary>
    public static bool TryValidate(string? path, [NotNullWhen(false)] out string? error)
    {
        if (string.IsNullOrEmpty(path)) { error = "the path is empty"; return false; }
        if (path[0] == '/') { error = "the path must be relative (no leading '/')"; return false; }
        if (path[^1] == '/') { error = "the path must not end with '/'"; return false; }
        foreach (var c in path)
        {
            if (c == '\\') { error = "the path contains '\\'; use '/' as the separator"; return false; }
            if (c == '\0') { error = "the path contains NUL"; return false; }
            if (char.IsControl(c)) { error = "the path contains a control character"; return false; }
        }
        if (!StrictUtf8.GetByteCount(path, out var byteCount)) { error = "the path is not valid Unicode (lone surrogate)"; return false; }
        if (byteCount > MaxBytes) { error = $"the path is longer than {MaxBytes} UTF-8 bytes"; return false; }
        if (!path.IsNormalized(NormalizationForm.FormC)) { error = "the path is not in Unicode NFC"; return false; }
        foreach (var segment in path.Split('/'))
        {
            if (segment.Length == 0) { error = "the path has an empty segment ('//')"; return false; }
            if (segment is "." or "..") { error = "the path has a '.' or '..' segment"; return false; }
            if (Encoding.UTF8.GetByteCount(segment) > MaxSegmentBytes)
            {
                error = $"a path segment is longer than {MaxSegmentBytes} UTF-8 bytes";
                return false;
            }
        }
        error = null;
        return true;
    }

    /// <summary>True when the path is valid.</summary>
    public static bool IsValid(string? path) => TryValidate(path, out _);

    /// <summary>
    /// The case-insensitive uniqueness key: simple Unicode upper-invariant case folding of the NFC form. Two live
    /// items of one container never share a key.
    /// </summary>
    public static string Key(string path) => path.ToUpperInvariant();

    /// <summary>The parent path, or <c>null</c> at the container root.</summary>
    public static string? Parent(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash < 0 ? null : path[..slash];
    }

    /// <summary>The last segment.</summary>
    public static string Name(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash < 0 ? path : path[(slash + 1)..];
    }

    /// <summary>True when <paramref name="path"/> equals <paramref name="ancestor"/> or lies beneath it (by key).</summary>
    public static bool IsSameOrUnder(string path, string ancestor)
    {
        var k = Key(path);
        var a = Key(ancestor);
        return k.Length == a.Length ? string.Equals(k, a, StringComparison.Ordinal)
            : k.Length > a.Length && k[a.Length] == '/' && k.StartsWith(a, StringComparison.Ordinal);
    }

    /// <summary>Like <see cref="IsSameOrUnder"/>, but by the exact name, case included (local records, one per spelling).</summary>
    public static bool IsSameOrUnderExactly(string path, string ancestor) =>
        path.StartsWith(ancestor, StringComparison.Ordinal) && (path.Length == ancestor.Length || path[ancestor.Length] == '/');

    /// <summary>Joins two relative paths.</summary>
    public static string Combine(string? parent, string name) => string.IsNullOrEmpty(parent) ? name : parent + "/" + name;

    static readonly UTF8Encoding StrictUtf8Encoding = new(false, true);

    static class StrictUtf8
    {
        public static bool GetByteCount(string s, out int count)
        {
            try { count = StrictUtf8Encoding.GetByteCount(s); return true; }
            catch (EncoderFallbackException) { count = 0; return false; }
        }
    }
}
