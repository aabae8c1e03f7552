using System.Data.Common;
using TinySync.Core.Contracts;

namespace TinySync.Server.Storage.Sql;

public partial class SqlStore
{
    const string DeviceColumns = "device_id, display_name, registered_at, last_seen_at, revoked_at";

    /// <inheritdoc />
    public async Task<DeviceCredential?> FindCredentialAsync(Guid deviceId, CancellationToken ct)
    {
        await using var c = await ReadAsync(ct).ConfigureAwait(false);
        DeviceCredential? credential = null;
        await Dialect.EachRowAsync(c, "SELECT credential_hash, revoked_at FROM devices WHERE device_id = @d", "@d", deviceId, r =>
        {
            credential = new DeviceCredential(deviceId, r.GetBytes(0), r.IsNull(1) ? null : r.GetTime(1));
            return false;
        }, ct).ConfigureAwait(false);
        return credential;
    }

    /// <inheritdoc />
    public async Task<DeviceCredential?> FindCredentialAsync(Guid deviceId, Guid vaultId, byte[] presentedHash, CancellationToken ct)
    {
        await using var c = await ReadAsync(ct).ConfigureAwait(false);
        await using var lease = await Sql.ReaderAsync(c, null, CredentialAndReachSql, ct,
            ("@d", Dialect.Id(deviceId)), ("@v", Dialect.Id(vaultId)), ("@h", presentedHash)).ConfigureAwait(false);
        var r = lease.Reader;
        if (!await r.ReadAsync(ct).ConfigureAwait(false)) return null;
        return new DeviceCredential(deviceId, (byte[])r.GetValue(0), r.IsDBNull(1) ? null : Dialect.ReadTime(r, 1),
            Convert.ToBoolean(r.GetValue(2), System.Globalization.CultureInfo.InvariantCulture));
    }

    // The credential lookup and CanAccessSql as one statement (decision 0507): one round trip in front of a vault route.
    // The edges are read only for the holder of the secret: a known device with a wrong secret costs what an unknown
    // device costs (decision 0214's timing concern), whatever its number of groups.
    const string CredentialAndReachSql = "SELECT credential_hash, revoked_at, CASE WHEN credential_hash = @h THEN EXISTS (" + CanAccessSql
        + ") ELSE FALSE END FROM devices WHERE device_id = @d";

    /// <inheritdoc />
    public async Task<DeviceView> RegisterDeviceAsync(Guid deviceId, string displayName, byte[] credentialHash, DateTimeOffset now, CancellationToken ct)
    {
        await using var w = await Dialect.BeginWriteAsync(ct).ConfigureAwait(false);
        await Sql.ExecuteAsync(w.Connection, w.Transaction,
            "INSERT INTO devices (device_id, display_name, credential_hash, registered_at) VALUES (@d, @n, @h, @t)", ct,
            ("@d", Dialect.Id(deviceId)), ("@n", displayName), ("@h", credentialHash), ("@t", Dialect.Time(now))).ConfigureAwait(false);
        await AuditAsync(w, now, "device.registered", $"device:{deviceId}", new { display_name = displayName }, ct).ConfigureAwait(false);
        await w.CommitAsync(ct).ConfigureAwait(false);
        return new DeviceView(deviceId, displayName, Truncate(now), null, null, []);
    }

    /// <inheritdoc />
    public async Task<DeviceView?> GetDeviceAsync(Guid deviceId, CancellationToken ct)
    {
        await using var c = await ReadAsync(ct).ConfigureAwait(false);
        var row = await Sql.FirstOrDefaultAsync(c, null, $"SELECT {DeviceColumns} FROM devices WHERE device_id = @d",
            ReadDevice, ct, ("@d", Dialect.Id(deviceId))).ConfigureAwait(false);
        if (row is null) return null;
        var groups = await Sql.ListAsync(c, null, "SELECT group_id FROM group_devices WHERE device_id = @d ORDER BY group_id",
            r => r.GetString(0), ct, ("@d", Dialect.Id(deviceId))).ConfigureAwait(false);
        return row with { Groups = groups };
    }

    /// <inheritdoc />
    public async Task<DevicePage> ListDevicesAsync(Guid? after, int limit, CancellationToken ct)
    {
        await using var c = await ReadAsync(ct).ConfigureAwait(false);
        var afterValue = after is { } a ? Dialect.Id(a) : null;
        var where = after is null ? "" : "WHERE device_id > @after";
        var devices = await Sql.ListAsync(c, null,
            $"SELECT {DeviceColumns} FROM devices {where} ORDER BY device_id LIMIT @limit",
            ReadDevice, ct, ("@after", afterValue), ("@limit", limit + 1)).ConfigureAwait(false);
        var more = devices.Count > limit;
        if (more) devices.RemoveAt(devices.Count - 1);
        if (devices.Count == 0) return new DevicePage([], null);
        var edges = await Sql.ListAsync(c, null,
            $"SELECT device_id, group_id FROM group_devices WHERE device_id >= @first AND device_id <= @last ORDER BY group_id",
            r => (Device: Dialect.ReadId(r, 0), Group: r.GetString(1)), ct,
            ("@first", Dialect.Id(devices[0].DeviceId)), ("@last", Dialect.Id(devices[^1].DeviceId))).ConfigureAwait(false);
        var byDevice = edges.ToLookup(e => e.Device, e => e.Group);
        return new DevicePage(devices.Select(d => d with { Groups = byDevice[d.DeviceId].ToList() }).ToList(),
            more ? devices[^1].DeviceId : null);
    }

    /// <inheritdoc />
    public async Task<RevokeOutcome> RevokeDeviceAsync(Guid deviceId, DateTimeOffset now, string actor, CancellationToken ct)
    {
        await using var w = await Dialect.BeginWriteAsync(ct).ConfigureAwait(false);
        var state = await Sql.ScalarAsync(w.Connection, w.Transaction,
            $"SELECT CASE WHEN revoked_at IS NULL THEN 0 ELSE 1 END FROM devices WHERE device_id = @d{Dialect.ForUpdate}",
            ct, ("@d", Dialect.Id(deviceId))).ConfigureAwait(false);
        if (state is null) return RevokeOutcome.NotFound;
        if (Convert.ToInt64(state, System.Globalization.CultureInfo.InvariantCulture) == 1) return RevokeOutcome.AlreadyRevoked;
        await Sql.ExecuteAsync(w.Connection, w.Transaction, "UPDATE devices SET revoked_at = @t WHERE device_id = @d", ct,
            ("@t", Dialect.Time(now)), ("@d", Dialect.Id(deviceId))).ConfigureAwait(false);
        await AuditAsync(w, now, "device.revoked", $"device:{deviceId}", new { by = actor }, ct).ConfigureAwait(false);
        await w.CommitAsync(ct).ConfigureAwait(false);
        return RevokeOutcome.Revoked;
    }

    /// <inheritdoc />
    public async Task TouchDeviceAsync(Guid deviceId, DateTimeOffset now, CancellationToken ct)
    {
        await using var w = await Dialect.BeginWriteAsync(ct).ConfigureAwait(false);
        await Sql.ExecuteAsync(w.Connection, w.Transaction, "UPDATE devices SET last_seen_at = @t WHERE device_id = @d", ct,
            ("@t", Dialect.Time(now)), ("@d", Dialect.Id(deviceId))).ConfigureAwait(false);
        await w.CommitAsync(ct).ConfigureAwait(false);
    }

    DeviceView ReadDevice(DbDataReader r) => new(
        Dialect.ReadId(r, 0), r.GetString(1), Dialect.ReadTime(r, 2),
        r.IsDBNull(3) ? null : Dialect.ReadTime(r, 3), r.IsDBNull(4) ? null : Dialect.ReadTime(r, 4), []);

    /// <summary>Times round-trip through the database at microsecond precision; answers use the stored value.</summary>
    protected static DateTimeOffset Truncate(DateTimeOffset t) => new(t.UtcTicks - t.UtcTicks % 10, TimeSpan.Zero);
}
