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
        // Decoded on the stack (no allocation per authenticated request); the copy holds a secret, so it is wiped.
        var paddedLength = (text.Length + 3) / 4 * 4;
        Span<char> padded = paddedLength <= 256 ? stackalloc char[paddedLength] : new char[paddedLength];
        try
        {
            for (var i = 0; i < text.Length; i++) padded[i] = text[i] switch { '-' => '+', '_' => '/', var c => c };
            padded[text.Length..].Fill('=');
            if (!Convert.TryFromBase64Chars(padded, destination, out var written) || written != destination.Length) return false;
        }
        finally
        {
            padded.Clear();
        }
        // Reject non-canonical encodings (unused low bits of the last character set), so one secret has exactly
        // one spelling: exactly the encodings whose re-encoding differs from the text.
        var unusedBits = text.Length * 6 - destination.Length * 8;
        return unusedBits == 0 || (Sextet(text[^1]) & ((1 << unusedBits) - 1)) == 0;
    }

    static int Sextet(char c) => c switch
    {
        >= 'A' and <= 'Z' => c - 'A',
        >= 'a' and <= 'z' => c - 'a' + 26,
        >= '0' and <= '9' => c - '0' + 52,
        '-' => 62,
        _ => 63,
    };
}
