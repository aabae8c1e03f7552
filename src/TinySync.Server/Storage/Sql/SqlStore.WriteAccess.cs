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
        var d = ("@d", Dialect.Id(deviceId));
        var live = await Sql.ScalarAsync(w.Connection, w.Transaction,
            $"SELECT CASE WHEN revoked_at IS NULL THEN 1 ELSE 0 END FROM devices WHERE device_id = @d{Dialect.ForShare}", ct, d!).ConfigureAwait(false);
        if (live is null || Convert.ToInt64(live, System.Globalization.CultureInfo.InvariantCulture) == 0)
            throw new AccessEndedException(deviceId, vaultId, revoked: true);
        var reaches = await Sql.ScalarAsync(w.Connection, w.Transaction, CanAccessSql + Dialect.ForShare, ct, d!,
            ("@v", Dialect.Id(vaultId))).ConfigureAwait(false);
        if (reaches is null) throw new AccessEndedException(deviceId, vaultId, revoked: false);
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
