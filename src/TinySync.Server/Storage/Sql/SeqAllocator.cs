using System.Globalization;

namespace TinySync.Server.Storage.Sql;

/// <summary>
/// Where a vault's seqs are allocated. The commit's transaction first row-locks the vault (<see cref="LockQuery"/>):
/// writers of one vault queue there, on every node. Ops then take seqs one by one, in batch order (<see cref="Next"/>),
/// and the new head is written at the end of the same transaction (<see cref="HeadUpdate"/>), so seqs are dense and
/// gap-free, and a rollback undoes nothing anyone saw.
/// </summary>
internal sealed class SeqAllocator(SqlDialect dialect, Guid vaultId)
{
    readonly object _vault = dialect.Id(vaultId);
    long _start = -1;

    /// <summary>The lock, reading the head: run first in the commit's transaction. No row: the vault does not exist.</summary>
    public SqlQuery LockQuery => new("UPDATE vaults SET head_seq = head_seq WHERE vault_id = @v RETURNING head_seq", [("@v", _vault)],
        r => Head = _start = Convert.ToInt64(r.GetValue(0), CultureInfo.InvariantCulture));

    /// <summary>True once <see cref="LockQuery"/> found and locked the vault.</summary>
    public bool Locked => _start >= 0;

    /// <summary>The head before this commit.</summary>
    public long Start => _start;

    /// <summary>The head after the ops allocated so far.</summary>
    public long Head { get; private set; }

    /// <summary>True when some op of this commit took a seq.</summary>
    public bool Advanced => Head > _start;

    /// <summary>The next seq, for an op that commits.</summary>
    public long Next() => ++Head;

    /// <summary>Writes the new head (null when no op committed): the commit's last statement before COMMIT.</summary>
    public SqlStep? HeadUpdate => Advanced ? new SqlStep("UPDATE vaults SET head_seq = @h WHERE vault_id = @v", [("@h", Head), ("@v", _vault)]) : null;
}
