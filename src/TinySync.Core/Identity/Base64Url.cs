namespace TinySync.Core.Identity;

/// <summary>Unpadded base64url (RFC 4648 §5), strict: rejects padding, whitespace and non-canonical trailing bits.</summary>
public static class Base64Url
{
    /// <summary>Encodes without padding.</summary>
    public static string Encode(ReadOnlySpan<byte> bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Decodes exactly <c>destination.Length</c> bytes; fails on any other length or alphabet.</summary>
    public static bool TryDecode(ReadOnlySpan<char> text, Span<byte> destination)
    {
        var expectedChars = (destination.Length * 4 + 2) / 3;
        if (text.Length != expectedChars) return false;
        foreach (var c in text)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_')) return false;
        }
        var padded = new char[(text.Length + 3) / 4 * 4];
        for (var i = 0; i < text.Length; i++) padded[i] = text[i] switch { '-' => '+', '_' => '/', var c => c };
        for (var i = text.Length; i < padded.Length; i++) padded[i] = '=';
        if (!Convert.TryFromBase64Chars(padded, destination, out var written) || written != destination.Length) return false;
        // Reject non-canonical encodings (unused low bits set), so one secret has exactly one spelling.
        return Encode(destination).AsSpan().SequenceEqual(text);
    }
}
