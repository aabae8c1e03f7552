using System.Globalization;
using TinySync.Core.Contracts;

namespace TinySync.Server.Storage.Sql;

// Vault sync, part 1: committing batches of ops. The per-op rules live in SyncBatch (SqlStore.SyncBatch.cs).
public partial class SqlStore
{
    /// <summary>Most ops in one batch (docs/protocol.md#operations; larger batches are refused with 400 batch_too_large).</summary>
    public const int MaxBatchOps = 1000;

    const int CommitAttempts = 3;

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
        // Row-locks the vault: writers of one vault queue here, so seqs are dense and gap-free; a rollback undoes
        // nothing visible because head_seq is written only at the end of the same transaction.
        var head = await Sql.ScalarAsync(w.Connection, w.Transaction,
            "UPDATE vaults SET head_seq = head_seq WHERE vault_id = @v RETURNING head_seq", ct,
            ("@v", Dialect.Id(vaultId))).ConfigureAwait(false);
        if (head is null) return null;
        await RecheckAccessAsync(w, deviceId, vaultId, ct).ConfigureAwait(false);
        var start = Convert.ToInt64(head, CultureInfo.InvariantCulture);
        await using var batch = new SyncBatch(Dialect, w, vaultId, deviceId, now, start);
        await batch.LoadAsync(ops, ct).ConfigureAwait(false);
        var results = new OpResult[ops.Count];
        for (var i = 0; i < ops.Count; i++) results[i] = await batch.ApplyAsync(ops[i], ct).ConfigureAwait(false);
        await batch.FinishAsync(start, ct).ConfigureAwait(false); // the rows, then head_seq
        await w.CommitAsync(ct).ConfigureAwait(false);
        return new BatchOutcome(results, batch.Head, batch.Head > start);
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
