using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace TinySync.Core.Identity;

/// <summary>
/// A device bearer token, <c>tsdev_{device_id}_{secret}</c> (docs/protocol.md#identity-and-tokens). The device id is a lowercase hyphenated
/// UUID; the secret is 32 random bytes, base64url without padding (43 characters, which may contain <c>_</c>).
/// </summary>
public sealed class DeviceToken
{
    /// <summary>The fixed prefix of every device token.</summary>
    public const string Prefix = "tsdev_";

    /// <summary>Number of random bytes in a secret.</summary>
    public const int SecretBytes = 32;

    /// <summary>Length of the encoded secret: 32 bytes in unpadded base64url.</summary>
    public const int SecretChars = 43;

    /// <summary>Total length of a well-formed token: prefix, 36-char UUID, separator, secret.</summary>
    public const int TokenChars = 6 + 36 + 1 + SecretChars;

    static readonly byte[] DomainSeparator = "tinysync-device-token:"u8.ToArray();

    readonly byte[] _secret;

    DeviceToken(Guid deviceId, byte[] secret)
    {
        DeviceId = deviceId;
        _secret = secret;
    }

    /// <summary>The device this token belongs to.</summary>
    public Guid DeviceId { get; }

    /// <summary>Issues a fresh token with 32 bytes from the OS CSPRNG.</summary>
    public static DeviceToken Generate(Guid deviceId) => new(deviceId, RandomNumberGenerator.GetBytes(SecretBytes));

    /// <summary>
    /// Parses a presented token. Fails on anything that is not exactly the documented shape: wrong prefix, upper-case or
    /// non-hyphenated UUID, a secret that is not 43 base64url characters decoding to 32 bytes.
    /// </summary>
    public static bool TryParse(string? value, [NotNullWhen(true)] out DeviceToken? token, out string? error)
    {
        token = null;
        var secret = new byte[SecretBytes];
        if (!TryParse(value, out var id, secret, out error)) return false;
        token = new DeviceToken(id, secret);
        return true;
    }

    /// <summary>
    /// Parses a presented token without allocating and hashes its secret into <paramref name="hash"/> (32 bytes, the
    /// stored form), for the server's authentication path; the decoded secret never leaves the stack and is wiped.
    /// Fails exactly like <see cref="TryParse(string?, out DeviceToken?, out string?)"/>, with the same messages.
    /// </summary>
    public static bool TryParseToHash(ReadOnlySpan<char> value, out Guid deviceId, Span<byte> hash, out string? error)
    {
        Span<byte> secret = stackalloc byte[SecretBytes];
        try
        {
            if (!TryParse(value, out deviceId, secret, out error)) return false;
            HashSecret(secret, hash);
            return true;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    static bool TryParse(ReadOnlySpan<char> value, out Guid id, Span<byte> secret, out string? error)
    {
        id = default;
        if (value.IsEmpty)
        {
            error = "the token is empty";
            return false;
        }
        if (!value.StartsWith(Prefix, StringComparison.Ordinal))
        {
            error = "a device token starts with 'tsdev_'";
            return false;
        }
        if (value.Length != TokenChars)
        {
            error = value.Length < TokenChars ? "the token is truncated" : "the token is too long";
            return false;
        }
        var idPart = value.Slice(Prefix.Length, 36);
        if (value[Prefix.Length + 36] != '_' || !IsCanonicalUuid(idPart) || !Guid.TryParseExact(idPart, "D", out id))
        {
            error = "the device id in the token is not a lowercase hyphenated UUID";
            return false;
        }
        if (!Base64Url.TryDecode(value[(Prefix.Length + 37)..], secret))
        {
            error = "the token's secret is not 32 bytes of base64url";
            return false;
        }
        error = null;
        return true;
    }

    /// <summary>Parses a token known to be well formed; throws <see cref="FormatException"/> otherwise.</summary>
    public static DeviceToken Parse(string value) =>
        TryParse(value, out var token, out var error) ? token : throw new FormatException(error);

    /// <summary>The stored form: <c>SHA-256("tinysync-device-token:" || secret_bytes)</c>.</summary>
    public byte[] ComputeHash() => HashSecret(_secret);

    /// <summary>Hashes raw secret bytes with the domain separator.</summary>
    public static byte[] HashSecret(ReadOnlySpan<byte> secret)
    {
        var hash = new byte[32];
        HashSecret(secret, hash);
        return hash;
    }

    static void HashSecret(ReadOnlySpan<byte> secret, Span<byte> hash)
    {
        Span<byte> buffer = stackalloc byte[DomainSeparator.Length + secret.Length];
        DomainSeparator.CopyTo(buffer);
        secret.CopyTo(buffer[DomainSeparator.Length..]);
        SHA256.HashData(buffer, hash);
        CryptographicOperations.ZeroMemory(buffer);
    }

    /// <summary>Constant-time comparison of this token's hash with a stored hash.</summary>
    public bool Matches(ReadOnlySpan<byte> storedHash) => HashMatches(HashSecret(_secret), storedHash);

    /// <summary>Constant-time comparison of a presented token's hash (<see cref="TryParseToHash"/>) with a stored hash.</summary>
    public static bool HashMatches(ReadOnlySpan<byte> presentedHash, ReadOnlySpan<byte> storedHash) =>
        presentedHash.Length == 32 && storedHash.Length == 32 && CryptographicOperations.FixedTimeEquals(presentedHash, storedHash);

    /// <summary>The full bearer value. Only ever shown once, at registration.</summary>
    public string Reveal() => Prefix + DeviceId.ToString("D") + "_" + Base64Url.Encode(_secret);

    /// <summary>The loggable form, <c>tsdev_{device_id}_***</c>.</summary>
    public override string ToString() => Redact(DeviceId);

    /// <summary>The loggable form of any token of this device.</summary>
    public static string Redact(Guid deviceId) => Prefix + deviceId.ToString("D") + "_***";

    /// <summary>
    /// Redacts every device token, and any other bearer value, found in free text (logs, recorded HTTP bodies).
    /// </summary>
    public static string RedactAll(string text)
    {
        if (string.IsNullOrEmpty(text)) return text;
        var sb = new StringBuilder(text.Length);
        var i = 0;
        while (true)
        {
            var at = text.IndexOf(Prefix, i, StringComparison.Ordinal);
            if (at < 0) { sb.Append(text, i, text.Length - i); break; }
            sb.Append(text, i, at - i);
            var j = at + Prefix.Length;
            // the device id: hex and hyphens
            var idStart = j;
            while (j < text.Length && (char.IsAsciiHexDigit(text[j]) || text[j] == '-')) j++;
            var id = text.AsSpan(idStart, j - idStart);
            if (j < text.Length && text[j] == '_')
            {
                sb.Append(Prefix).Append(id).Append("_***");
                j++;
                while (j < text.Length && IsBase64UrlChar(text[j])) j++;
            }
            else
            {
                sb.Append(Prefix).Append(id);
            }
            i = j;
        }
        return sb.ToString();
    }

    static bool IsBase64UrlChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_';

    static bool IsCanonicalUuid(ReadOnlySpan<char> s)
    {
        for (var k = 0; k < s.Length; k++)
        {
            var c = s[k];
            var hyphen = k is 8 or 13 or 18 or 23;
            if (hyphen ? c != '-' : !(char.IsAsciiDigit(c) || c is >= 'a' and <= 'f')) return false;
        }
        return true;
    }
}
