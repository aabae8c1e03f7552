using TinySync.Core.Contracts;
using static TinySync.Server.Storage.Sql.OpResults;

namespace TinySync.Server.Storage.Sql;

// What an op_id already meant (decision 0316): a retry of a committed op answers with its original result, a
// different op under the same op_id is refused.
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
}
