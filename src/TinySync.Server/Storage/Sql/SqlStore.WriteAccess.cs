using TinySync.Server.Storage;

namespace TinySync.Server.Storage.Sql;

// Authorization at the moment of writing (docs/protocol.md, decision 0220): the filters in front of a route checked the token
// and the edges when the request arrived, but a body can take long to arrive. Every transaction that writes for a
// device asks again, and holds what it read until it commits.
public partial class SqlStore
{
    /// <summary>
    /// Inside the caller's write transaction: throws <see cref="AccessEndedException"/> unless the device is live and
    /// reaches the vault. On PostgreSQL the rows read are share-locked, so a revocation or an edge removal that runs
    /// meanwhile waits for this transaction: it either saw the write or the write saw it. SQLite serializes writers.
    /// </summary>
    protected async Task RecheckAccessAsync(WriteScope w, Guid deviceId, Guid vaultId, CancellationToken ct)
    {
        var check = AccessRecheck(deviceId, vaultId);
        await Dialect.QueryAllAsync(w, check.Queries, ct).ConfigureAwait(false);
        check.ThrowIfEnded();
    }

    /// <summary>
    /// <see cref="RecheckAccessAsync"/> as two reads a write transaction sends with its other first reads (one round
    /// trip on PostgreSQL); <see cref="WriteAccessCheck.ThrowIfEnded"/> once they ran.
    /// </summary>
    WriteAccessCheck AccessRecheck(Guid deviceId, Guid vaultId) => new(Dialect, CanAccessSql, deviceId, vaultId);

    sealed class WriteAccessCheck
    {
        readonly Guid _deviceId, _vaultId;
        bool _live, _reaches;

        public WriteAccessCheck(SqlDialect dialect, string canAccessSql, Guid deviceId, Guid vaultId)
        {
            _deviceId = deviceId;
            _vaultId = vaultId;
            Queries =
            [
                new($"SELECT CASE WHEN revoked_at IS NULL THEN 1 ELSE 0 END FROM devices WHERE device_id = @d{dialect.ForShare}", [("@d", dialect.Id(deviceId))],
                    r => _live = Convert.ToInt64(r.GetValue(0), System.Globalization.CultureInfo.InvariantCulture) != 0),
                new(canAccessSql + dialect.ForShare, [("@d", dialect.Id(deviceId)), ("@v", dialect.Id(vaultId))], _ => _reaches = true),
            ];
        }

        public SqlQuery[] Queries { get; }

        public void ThrowIfEnded()
        {
            if (!_live) throw new AccessEndedException(_deviceId, _vaultId, revoked: true);
            if (!_reaches) throw new AccessEndedException(_deviceId, _vaultId, revoked: false);
        }
    }

    /// <inheritdoc />
    public async Task RecordWriteRefusedAsync(AccessEndedException refused, string route, DateTimeOffset now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(refused);
        await using var w = await Dialect.BeginWriteAsync(ct).ConfigureAwait(false);
        await AuditAsync(w, now, "write.refused", $"device:{refused.DeviceId}",
            new { vault = refused.VaultId, reason = refused.Revoked ? "device_revoked" : "vault_unreachable", route }, ct).ConfigureAwait(false);
        await w.CommitAsync(ct).ConfigureAwait(false);
    }
}
