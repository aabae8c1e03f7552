using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using TinySync.Core.Contracts;

namespace TinySync.Server.Storage.Sql;

/// <summary>
/// What an op meant, as a short stable digest stored with its idempotency key: SHA-256 over a length-prefixed
/// encoding of every field but the op_id, first 16 bytes in hex. A retry of the identical op has the same digest.
/// The encoding is built in one pooled buffer and hashed in one call: it runs for every committed op.
/// </summary>
internal static class OpDigest
{
    public static string Of(Op op)
    {
        ArgumentNullException.ThrowIfNull(op);
        var chunks = op.Chunks;
        var max = 8 * 12 + Max(op.Container) + Max(op.Path) + Max(op.NewPath);
        if (chunks is not null) foreach (var c in chunks) max += 8 + Max(c);
        var buffer = ArrayPool<byte>.Shared.Rent(max);
        try
        {
            var at = 0;
            Int(buffer, ref at, (long)op.Kind);
            Text(buffer, ref at, op.Container);
            Text(buffer, ref at, op.Path);
            Text(buffer, ref at, op.NewPath);
            Int(buffer, ref at, op.Base);
            Int(buffer, ref at, op.Seen ?? -1);
            Int(buffer, ref at, op.Size ?? -1);
            Int(buffer, ref at, chunks?.Count ?? -1);
            if (chunks is not null) foreach (var c in chunks) Text(buffer, ref at, c);
            Int(buffer, ref at, op.Executable == true ? 1 : 0); // absent and false store the same file
            Int(buffer, ref at, op.Mtime is { } m ? m.UtcTicks : long.MinValue);
            Span<byte> digest = stackalloc byte[32];
            SHA256.HashData(buffer.AsSpan(0, at), digest);
            return Convert.ToHexStringLower(digest[..16]);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    static int Max(string? s) => s is null ? 0 : Encoding.UTF8.GetMaxByteCount(s.Length);

    static void Int(byte[] buffer, ref int at, long v)
    {
        BinaryPrimitives.WriteInt64BigEndian(buffer.AsSpan(at), v);
        at += 8;
    }

    static void Text(byte[] buffer, ref int at, string? s)
    {
        if (s is null) { Int(buffer, ref at, -1); return; }
        var n = Encoding.UTF8.GetBytes(s, buffer.AsSpan(at + 8));
        Int(buffer, ref at, n);
        at += n;
    }
}
