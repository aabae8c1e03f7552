using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using TinySync.Core.Contracts;
using TinySync.Core.Paths;

namespace TinySync.Server.Storage.Sql;

// The parts of a batch that decide whether an op may be applied at all: what an op_id already meant (decision 0316)
// and whether its names are portable (decision 0318). Kept apart from the per-op rules in SqlStore.SyncBatch.cs.
internal sealed partial class SyncBatch
{
    // The digest each already-committed op_id was stored with; null for keys written before digests existed.
    readonly Dictionary<Guid, string?> _digests = [];

    /// <summary>
    /// The answer to an op whose op_id this device already committed: the original result when the op is the same
    /// (docs/protocol.md), <c>op_id_reused</c> when it is not. A key from before digests were kept (no digest) answers with
    /// the original result, as it always did.
    /// </summary>
    OpResult Replayed(Op op, long seq)
    {
        if (_digests.TryGetValue(op.OpId, out var stored) && stored is not null && !string.Equals(stored, OpDigest.Of(op), StringComparison.Ordinal))
        {
            return Reject(op, RejectCodes.OpIdReused,
                $"this device already committed a different op with op_id {op.OpId} (seq {seq}); nothing was applied: send this op with a new op_id");
        }
        return Committed(op, seq);
    }

    /// <summary>A name the op would create that other platforms cannot hold; deletes and move sources stay allowed, so old names can be cleaned up.</summary>
    static OpResult? CheckPortable(Op op)
    {
        var created = op.Kind switch
        {
            OpKind.Put or OpKind.Mkdir => op.Path,
            OpKind.Move => op.NewPath,
            _ => null,
        };
        if (created is null || PortableName.Check(created) is not { } rule) return null;
        return Reject(op, RejectCodes.NameNotPortable, $"{(op.Kind == OpKind.Move ? "new_path" : "path")}: {rule}; rename it to sync it");
    }
}

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
