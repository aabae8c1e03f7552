using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace TinySync.Core.Chunking;

/// <summary>
/// The content address of a chunk (docs/protocol.md#chunks): SHA-256 of its bytes as exactly 64 lowercase hex characters. This is
/// the form in <c>put</c> ops, the change log and the chunk URLs (<c>/v1/vaults/{vid}/chunks/{sha256}</c>).
/// </summary>
public static class ChunkHash
{
    /// <summary>Bytes in a SHA-256 digest.</summary>
    public const int ByteLength = 32;

    /// <summary>Characters in the hex form of a chunk hash.</summary>
    public const int HexLength = 64;

    static readonly SearchValues<char> LowerHexDigits = SearchValues.Create("0123456789abcdef");

    /// <summary>
    /// True when <paramref name="value"/> is exactly 64 lowercase hex characters. Upper case, whitespace, a prefix
    /// such as <c>sha256:</c> or any other length is rejected, so one chunk never has two spellings.
    /// </summary>
    public static bool IsValid([NotNullWhen(true)] string? value) => value is not null && IsValid(value.AsSpan());

    /// <summary>Span form of <see cref="IsValid(string?)"/>, for URL segments and JSON values not yet materialized.</summary>
    public static bool IsValid(ReadOnlySpan<char> value) =>
        value.Length == HexLength && !value.ContainsAnyExcept(LowerHexDigits);

    /// <summary>Hashes <paramref name="data"/> with SHA-256 and returns the lowercase hex form.</summary>
    public static string Compute(ReadOnlySpan<byte> data)
    {
        Span<byte> digest = stackalloc byte[ByteLength];
        SHA256.HashData(data, digest);
        return Convert.ToHexStringLower(digest);
    }

    /// <summary>The lowercase hex form of a 32-byte SHA-256 digest.</summary>
    /// <exception cref="ArgumentException">When <paramref name="digest"/> is not 32 bytes.</exception>
    public static string ToHex(ReadOnlySpan<byte> digest) =>
        digest.Length == ByteLength
            ? Convert.ToHexStringLower(digest)
            : throw new ArgumentException($"a SHA-256 digest is {ByteLength} bytes, got {digest.Length}", nameof(digest));

    /// <summary>
    /// True when <paramref name="data"/> hashes to <paramref name="expected"/>; what the server checks on upload
    /// before it stores a chunk. False (never an exception) when <paramref name="expected"/> is not a valid hash.
    /// </summary>
    public static bool Matches(ReadOnlySpan<byte> data, ReadOnlySpan<char> expected)
    {
        if (!IsValid(expected)) return false;
        Span<byte> digest = stackalloc byte[ByteLength];
        Span<byte> wanted = stackalloc byte[ByteLength];
        SHA256.HashData(data, digest);
        Convert.FromHexString(expected, wanted, out _, out _);
        return digest.SequenceEqual(wanted);
    }
}
