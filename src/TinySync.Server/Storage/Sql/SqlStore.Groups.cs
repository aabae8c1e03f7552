using TinySync.Core.Contracts;

namespace TinySync.Server.Storage.Sql;

public partial class SqlStore
{
    /// <inheritdoc />
    public async Task<(GroupView Group, bool Created)> UpsertGroupAsync(string groupId, string? name, string? ecosystem, DateTimeOffset now, CancellationToken ct)
    {
        bool created;
        await using (var w = await Dialect.BeginWriteAsync(ct).ConfigureAwait(false))
        {
            var current = await Sql.FirstOrDefaultAsync(w.Connection, w.Transaction,
                $"SELECT name, ecosystem FROM groups WHERE group_id = @g{Dialect.ForUpdate}",
                r => new[] { r.NullableString(0), r.NullableString(1) }, ct, ("@g", groupId)).ConfigureAwait(false);
            created = current is null;
            if (created)
            {
                await InsertGroupAsync(w, groupId, name, ecosystem, now, ct).ConfigureAwait(false);
            }
            else if (!string.Equals(current![0], name, StringComparison.Ordinal) || !string.Equals(current[1], ecosystem, StringComparison.Ordinal))
            {
                await Sql.ExecuteAsync(w.Connection, w.Transaction, "UPDATE groups SET name = @n, ecosystem = @e WHERE group_id = @g", ct,
                    ("@g", groupId), ("@n", name), ("@e", ecosystem)).ConfigureAwait(false);
                await AuditAsync(w, now, "group.updated", $"group:{groupId}", new { name, ecosystem }, ct).ConfigureAwait(false);
            }
            await w.CommitAsync(ct).ConfigureAwait(false);
        }
        return ((await GetGroupAsync(groupId, ct).ConfigureAwait(false))!, created);
    }

    async Task InsertGroupAsync(WriteScope w, string groupId, string? name, string? ecosystem, DateTimeOffset now, CancellationToken ct)
    {
        await Sql.ExecuteAsync(w.Connection, w.Transaction,
            "INSERT INTO groups (group_id, name, ecosystem, created_at) VALUES (@g, @n, @e, @t)", ct,
            ("@g", groupId), ("@n", name), ("@e", ecosystem), ("@t", Dialect.Time(now))).ConfigureAwait(false);
        await AuditAsync(w, now, "group.created", $"group:{groupId}", new { name, ecosystem }, ct).ConfigureAwait(false);
    }

    /// <summary>Creates the group if it does not exist (edges create their group implicitly).</summary>
    async Task EnsureGroupAsync(WriteScope w, string groupId, DateTimeOffset now, CancellationToken ct)
    {
        var exists = await Sql.ScalarAsync(w.Connection, w.Transaction, $"SELECT 1 FROM groups WHERE group_id = @g{Dialect.ForUpdate}", ct,
            ("@g", groupId)).ConfigureAwait(false);
        if (exists is null) await InsertGroupAsync(w, groupId, null, null, now, ct).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<GroupView?> GetGroupAsync(string groupId, CancellationToken ct)
    {
        var list = await QueryGroupsAsync("WHERE group_id = @g", groupId, 1, ct).ConfigureAwait(false);
        return list.Count == 0 ? null : list[0];
    }

    /// <inheritdoc />
    public async Task<GroupList> ListGroupsAsync(string? after, int limit, CancellationToken ct)
    {
        var groups = await QueryGroupsAsync(after is null ? "" : "WHERE group_id > @g", after, limit + 1, ct).ConfigureAwait(false);
        var more = groups.Count > limit;
        if (more) groups.RemoveAt(groups.Count - 1);
        return new GroupList(groups, more ? groups[^1].GroupId : null);
    }

    async Task<List<GroupView>> QueryGroupsAsync(string where, string? g, int limit, CancellationToken ct)
    {
        await using var c = await ReadAsync(ct).ConfigureAwait(false);
        var groups = await Sql.ListAsync(c, null,
            $"SELECT group_id, name, ecosystem, created_at FROM groups {where} ORDER BY group_id LIMIT @limit",
            r => new GroupView(r.GetString(0), r.NullableString(1), r.NullableString(2), Dialect.ReadTime(r, 3), [], []),
            ct, ("@g", g), ("@limit", limit)).ConfigureAwait(false);
        if (groups.Count == 0) return groups;
        var range = new (string, object?)[] { ("@first", groups[0].GroupId), ("@last", groups[^1].GroupId) };
        var devices = (await Sql.ListAsync(c, null,
            "SELECT group_id, device_id FROM group_devices WHERE group_id >= @first AND group_id <= @last ORDER BY device_id",
            r => (Group: r.GetString(0), Id: Dialect.ReadId(r, 1)), ct, range).ConfigureAwait(false)).ToLookup(x => x.Group, x => x.Id);
        var vaults = (await Sql.ListAsync(c, null,
            "SELECT group_id, vault_id FROM group_vaults WHERE group_id >= @first AND group_id <= @last ORDER BY vault_id",
            r => (Group: r.GetString(0), Id: Dialect.ReadId(r, 1)), ct, range).ConfigureAwait(false)).ToLookup(x => x.Group, x => x.Id);
        return groups.Select(x => x with { Devices = devices[x.GroupId].ToList(), Vaults = vaults[x.GroupId].ToList() }).ToList();
    }

    /// <inheritdoc />
    public async Task<bool> DeleteGroupAsync(string groupId, DateTimeOffset now, CancellationToken ct)
    {
        await using var w = await Dialect.BeginWriteAsync(ct).ConfigureAwait(false);
        var p = ("@g", (object?)groupId);
        var devices = await Sql.ExecuteAsync(w.Connection, w.Transaction, "DELETE FROM group_devices WHERE group_id = @g", ct, p).ConfigureAwait(false);
        var vaults = await Sql.ExecuteAsync(w.Connection, w.Transaction, "DELETE FROM group_vaults WHERE group_id = @g", ct, p).ConfigureAwait(false);
        var deleted = await Sql.ExecuteAsync(w.Connection, w.Transaction, "DELETE FROM groups WHERE group_id = @g", ct, p).ConfigureAwait(false);
        if (deleted == 0) return false;
        await AuditAsync(w, now, "group.deleted", $"group:{groupId}", new { device_edges = devices, vault_edges = vaults }, ct).ConfigureAwait(false);
        await w.CommitAsync(ct).ConfigureAwait(false);
        return true;
    }

    /// <inheritdoc />
    public async Task<EdgeOutcome> AddDeviceToGroupAsync(string groupId, Guid deviceId, DateTimeOffset now, CancellationToken ct)
    {
        await using var w = await Dialect.BeginWriteAsync(ct).ConfigureAwait(false);
        var state = await Sql.ScalarAsync(w.Connection, w.Transaction,
            $"SELECT CASE WHEN revoked_at IS NULL THEN 0 ELSE 1 END FROM devices WHERE device_id = @d{Dialect.ForUpdate}", ct,
            ("@d", Dialect.Id(deviceId))).ConfigureAwait(false);
        if (state is null) return EdgeOutcome.DeviceNotFound;
        if (Convert.ToInt64(state, System.Globalization.CultureInfo.InvariantCulture) == 1) return EdgeOutcome.DeviceRevoked;
        await EnsureGroupAsync(w, groupId, now, ct).ConfigureAwait(false);
        var added = await Sql.ExecuteAsync(w.Connection, w.Transaction,
            "INSERT INTO group_devices (group_id, device_id, added_at) VALUES (@g, @d, @t) ON CONFLICT (group_id, device_id) DO NOTHING", ct,
            ("@g", groupId), ("@d", Dialect.Id(deviceId)), ("@t", Dialect.Time(now))).ConfigureAwait(false);
        if (added > 0) await AuditAsync(w, now, "group.device_added", $"group:{groupId}/device:{deviceId}", null, ct).ConfigureAwait(false);
        await w.CommitAsync(ct).ConfigureAwait(false);
        return added > 0 ? EdgeOutcome.Changed : EdgeOutcome.Unchanged;
    }

    /// <inheritdoc />
    public async Task<EdgeOutcome> RemoveDeviceFromGroupAsync(string groupId, Guid deviceId, DateTimeOffset now, CancellationToken ct)
    {
        await using var w = await Dialect.BeginWriteAsync(ct).ConfigureAwait(false);
        var exists = await Sql.ScalarAsync(w.Connection, w.Transaction, "SELECT 1 FROM devices WHERE device_id = @d", ct,
            ("@d", Dialect.Id(deviceId))).ConfigureAwait(false);
        if (exists is null) return EdgeOutcome.DeviceNotFound;
        var removed = await Sql.ExecuteAsync(w.Connection, w.Transaction,
            "DELETE FROM group_devices WHERE group_id = @g AND device_id = @d", ct, ("@g", groupId), ("@d", Dialect.Id(deviceId))).ConfigureAwait(false);
        if (removed > 0) await AuditAsync(w, now, "group.device_removed", $"group:{groupId}/device:{deviceId}", null, ct).ConfigureAwait(false);
        await w.CommitAsync(ct).ConfigureAwait(false);
        return removed > 0 ? EdgeOutcome.Changed : EdgeOutcome.Unchanged;
    }

    /// <inheritdoc />
    public async Task<EdgeOutcome> AddVaultToGroupAsync(string groupId, Guid vaultId, DateTimeOffset now, CancellationToken ct)
    {
        await using var w = await Dialect.BeginWriteAsync(ct).ConfigureAwait(false);
        var exists = await Sql.ScalarAsync(w.Connection, w.Transaction, $"SELECT 1 FROM vaults WHERE vault_id = @v{Dialect.ForUpdate}", ct,
            ("@v", Dialect.Id(vaultId))).ConfigureAwait(false);
        if (exists is null) return EdgeOutcome.VaultNotFound;
        await EnsureGroupAsync(w, groupId, now, ct).ConfigureAwait(false);
        var added = await Sql.ExecuteAsync(w.Connection, w.Transaction,
            "INSERT INTO group_vaults (group_id, vault_id, added_at) VALUES (@g, @v, @t) ON CONFLICT (group_id, vault_id) DO NOTHING", ct,
            ("@g", groupId), ("@v", Dialect.Id(vaultId)), ("@t", Dialect.Time(now))).ConfigureAwait(false);
        if (added > 0) await AuditAsync(w, now, "group.vault_added", $"group:{groupId}/vault:{vaultId}", null, ct).ConfigureAwait(false);
        await w.CommitAsync(ct).ConfigureAwait(false);
        return added > 0 ? EdgeOutcome.Changed : EdgeOutcome.Unchanged;
    }

    /// <inheritdoc />
    public async Task<EdgeOutcome> RemoveVaultFromGroupAsync(string groupId, Guid vaultId, DateTimeOffset now, CancellationToken ct)
    {
        await using var w = await Dialect.BeginWriteAsync(ct).ConfigureAwait(false);
        var exists = await Sql.ScalarAsync(w.Connection, w.Transaction, "SELECT 1 FROM vaults WHERE vault_id = @v", ct,
            ("@v", Dialect.Id(vaultId))).ConfigureAwait(false);
        if (exists is null) return EdgeOutcome.VaultNotFound;
        var removed = await Sql.ExecuteAsync(w.Connection, w.Transaction,
            "DELETE FROM group_vaults WHERE group_id = @g AND vault_id = @v", ct, ("@g", groupId), ("@v", Dialect.Id(vaultId))).ConfigureAwait(false);
        if (removed > 0) await AuditAsync(w, now, "group.vault_removed", $"group:{groupId}/vault:{vaultId}", null, ct).ConfigureAwait(false);
        await w.CommitAsync(ct).ConfigureAwait(false);
        return removed > 0 ? EdgeOutcome.Changed : EdgeOutcome.Unchanged;
    }
}
