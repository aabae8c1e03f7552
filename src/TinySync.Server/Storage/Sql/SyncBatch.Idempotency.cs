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
/// </summary>
internal static class OpDigest
{
    public static string Of(Op op)
    {
        ArgumentNullException.ThrowIfNull(op);
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Int(h, (long)op.Kind);
        Text(h, op.Container);
        Text(h, op.Path);
        Text(h, op.NewPath);
        Int(h, op.Base);
        Int(h, op.Seen ?? -1);
        Int(h, op.Size ?? -1);
        Int(h, op.Chunks?.Count ?? -1);
        if (op.Chunks is not null) foreach (var c in op.Chunks) Text(h, c);
        Int(h, op.Executable == true ? 1 : 0); // absent and false store the same file
        Int(h, op.Mtime is { } m ? m.UtcTicks : long.MinValue);
        Span<byte> digest = stackalloc byte[32];
        h.GetHashAndReset(digest);
        return Convert.ToHexStringLower(digest[..16]);
    }

    static void Int(IncrementalHash h, long v)
    {
        Span<byte> n = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(n, v);
        h.AppendData(n);
    }

    static void Text(IncrementalHash h, string? s)
    {
        if (s is null) { Int(h, -1); return; }
        Int(h, Encoding.UTF8.GetByteCount(s));
        h.AppendData(Encoding.UTF8.GetBytes(s));
    }
}
