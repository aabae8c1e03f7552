using TinySync.Core.Contracts;

namespace TinySync.Server.Storage.Sql;

// Vault sync, part 1: committing batches of ops. The per-op rules live in SyncBatch.cs, the op's shape in OpShape.cs,
// seq allocation in SeqAllocator.cs, the writes in OpWriteBuffer.cs.
public partial class SqlStore
{
    /// <summary>Most ops in one batch (docs/protocol.md#operations; larger batches are refused with 400 batch_too_large).</summary>
    public const int MaxBatchOps = 1000;

    const int CommitAttempts = 3;

    // From this many ops a commit's statements are planned for their actual arrays (SqlDialect.PlanEachStatement).
    const int PlannedBatchOps = 16;

    /// <inheritdoc />
    public async Task<BatchOutcome?> CommitAsync(Guid vaultId, Guid deviceId, IReadOnlyList<Op> ops, DateTimeOffset now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ops);
        if (ops.Count > MaxBatchOps) throw new ArgumentException($"a batch holds at most {MaxBatchOps} ops", nameof(ops));
        if (FirstRepeatedOpId(ops) is { } repeated) throw new ArgumentException($"op_id {repeated} appears twice in the batch", nameof(ops));
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await CommitOnceAsync(vaultId, deviceId, ops, now, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (attempt < CommitAttempts && Dialect.IsUniqueViolation(e))
            {
                // A concurrent request committed one of these op ids first (possible on PostgreSQL only, where
                // writers are not serialized in-process). This transaction rolled back; evaluating the batch again
                // returns that request's results for the ops it committed.
            }
        }
    }

    async Task<BatchOutcome?> CommitOnceAsync(Guid vaultId, Guid deviceId, IReadOnlyList<Op> ops, DateTimeOffset now, CancellationToken ct)
    {
        await using var w = await Dialect.BeginWriteAsync(ct).ConfigureAwait(false);
        var seqs = new SeqAllocator(Dialect, vaultId);
        var access = AccessRecheck(deviceId, vaultId);
        var batch = new SyncBatch(Dialect, w, vaultId, deviceId, now, seqs);
        // The vault's lock first (writers of one vault queue there), then the access check under it (decision 0220),
        // then what the ops read: one round trip on PostgreSQL (decision 0506), in this order on both databases.
        var first = ops.Count >= PlannedBatchOps && Dialect.PlanEachStatement is { } plan ? [plan] : Array.Empty<SqlQuery>();
        await Dialect.QueryAllAsync(w, [.. first, seqs.LockQuery, .. access.Queries, .. batch.LoadQueries(ops)], ct).ConfigureAwait(false);
        if (!seqs.Locked) return null;
        access.ThrowIfEnded();
        var results = new OpResult[ops.Count];
        for (var i = 0; i < ops.Count; i++) results[i] = await batch.ApplyAsync(ops[i], ct).ConfigureAwait(false);
        await batch.FinishAsync(ct).ConfigureAwait(false); // the rows, then head_seq
        // COMMIT in a round trip of its own, sent only once every write succeeded: a node that dies before this line
        // leaves nothing behind, even while PostgreSQL still holds its earlier statements (decision 0506).
        await w.CommitAsync(ct).ConfigureAwait(false);
        return new BatchOutcome(results, seqs.Head, seqs.Advanced);
    }

    /// <summary>The first op_id that appears twice in <paramref name="ops"/>, or null (docs/protocol.md: such a batch is refused whole).</summary>
    public static Guid? FirstRepeatedOpId(IReadOnlyList<Op> ops)
    {
        ArgumentNullException.ThrowIfNull(ops);
        var seen = new HashSet<Guid>(ops.Count);
        foreach (var op in ops)
        {
            if (op is not null && !seen.Add(op.OpId)) return op.OpId;
        }
        return null;
    }
}
