using TinySync.Core.Contracts;

namespace TinySync.Server.Storage.Sql;

public partial class SqlStore
{
    // The one authorization question, answered from the edges at every call: no cached matrix to go stale.
    const string CanAccessSql = """
        SELECT 1 FROM group_devices gd
        JOIN group_vaults gv ON gv.group_id = gd.group_id
        WHERE gd.device_id = @d AND gv.vault_id = @v
        LIMIT 1
        """;

    const string ReachableVaults = """
        SELECT DISTINCT gv.vault_id FROM group_devices gd
        JOIN group_vaults gv ON gv.group_id = gd.group_id
        WHERE gd.device_id = @d
        """;

    /// <inheritdoc />
    public async Task<bool> CanAccessAsync(Guid deviceId, Guid vaultId, CancellationToken ct)
    {
        await using var c = await ReadAsync(ct).ConfigureAwait(false);
        return await Sql.ScalarAsync(c, null, CanAccessSql, ct, ("@d", Dialect.Id(deviceId)), ("@v", Dialect.Id(vaultId))).ConfigureAwait(false) is not null;
    }

    /// <inheritdoc />
    public async Task<MeView?> GetMeAsync(Guid deviceId, CancellationToken ct)
    {
        await using var c = await ReadAsync(ct).ConfigureAwait(false);
        var d = ("@d", Dialect.Id(deviceId));
        var device = await Sql.FirstOrDefaultAsync(c, null, "SELECT display_name, registered_at FROM devices WHERE device_id = @d",
            r => new MeView(deviceId, r.GetString(0), Dialect.ReadTime(r, 1), [], []), ct, d!).ConfigureAwait(false);
        if (device is null) return null;
        var groups = await Sql.ListAsync(c, null, "SELECT group_id FROM group_devices WHERE device_id = @d ORDER BY group_id",
            r => r.GetString(0), ct, d!).ConfigureAwait(false);
        if (groups.Count == 0) return device with { Groups = groups };
        var vaults = await Sql.ListAsync(c, null,
            $"SELECT v.vault_id, v.name, v.head_seq FROM vaults v WHERE v.vault_id IN ({ReachableVaults}) ORDER BY v.vault_id",
            r => new MeVault(Dialect.ReadId(r, 0), r.GetString(1), r.GetInt64(2), []), ct, d!).ConfigureAwait(false);
        var containers = (await Sql.ListAsync(c, null,
            $"SELECT vault_id, name, namespace, max_file_bytes, read_only FROM containers WHERE vault_id IN ({ReachableVaults}) ORDER BY name",
            r => (Vault: Dialect.ReadId(r, 0), Container: ReadContainer(r, 1)), ct, d!).ConfigureAwait(false)).ToLookup(x => x.Vault, x => x.Container);
        return device with { Groups = groups, Vaults = vaults.Select(v => v with { Containers = containers[v.VaultId].ToList() }).ToList() };
    }
}
