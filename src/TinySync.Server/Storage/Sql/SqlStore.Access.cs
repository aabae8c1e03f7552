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

    /// <inheritdoc />
    public async Task<bool> CanAccessAsync(Guid deviceId, Guid vaultId, CancellationToken ct)
    {
        await using var c = await ReadAsync(ct).ConfigureAwait(false);
        return await Sql.ScalarAsync(c, null, CanAccessSql, ct, ("@d", Dialect.Id(deviceId)), ("@v", Dialect.Id(vaultId))).ConfigureAwait(false) is not null;
    }

    // GET /v1/me in one statement, resolved from the edges at every call like CanAccessAsync: the device row (kind 0),
    // its groups (kind 1), and every (vault, container) pair it reaches (kind 2). A vault reached through several
    // groups comes once per group; ORDER BY makes those copies adjacent and the reader keeps the first. Columns of
    // different types never share a slot. PostgreSQL types a UNION pairwise from the left, so the first branch casts
    // its NULLs to the column types (SQLite accepts any type name in CAST, and CAST(NULL AS ...) is NULL there).
    const string MeSql = """
        SELECT 0, d.display_name, d.registered_at, CAST(NULL AS text), CAST(NULL AS uuid), CAST(NULL AS text),
               CAST(NULL AS bigint), CAST(NULL AS text), CAST(NULL AS text), CAST(NULL AS bigint), CAST(NULL AS boolean)
        FROM devices d WHERE d.device_id = @d
        UNION ALL
        SELECT 1, NULL, NULL, gd.group_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL
        FROM group_devices gd WHERE gd.device_id = @d
        UNION ALL
        SELECT 2, NULL, NULL, NULL, v.vault_id, v.name, v.head_seq, c.name, c.namespace, c.max_file_bytes, c.read_only
        FROM group_devices gd
        JOIN group_vaults gv ON gv.group_id = gd.group_id
        JOIN vaults v ON v.vault_id = gv.vault_id
        LEFT JOIN containers c ON c.vault_id = v.vault_id
        WHERE gd.device_id = @d
        ORDER BY 1, 4, 5, 8
        """;

    /// <inheritdoc />
    public async Task<MeView?> GetMeAsync(Guid deviceId, CancellationToken ct)
    {
        await using var c = await ReadAsync(ct).ConfigureAwait(false);
        string? displayName = null;
        var registeredAt = default(DateTimeOffset);
        var groups = new List<string>();
        var vaults = new List<MeVault>();
        List<ContainerView>? containers = null;
        await Sql.EachAsync(c, null, MeSql, r =>
        {
            switch (r.GetInt32(0))
            {
                case 0:
                    displayName = r.GetString(1);
                    registeredAt = Dialect.ReadTime(r, 2);
                    break;
                case 1:
                    groups.Add(r.GetString(3));
                    break;
                default:
                    var vaultId = Dialect.ReadId(r, 4);
                    if (vaults.Count == 0 || vaults[^1].VaultId != vaultId)
                    {
                        containers = [];
                        vaults.Add(new MeVault(vaultId, r.GetString(5), r.GetInt64(6), containers));
                    }
                    else if (r.IsDBNull(7) || (containers!.Count > 0 && string.Equals(containers[^1].Name, r.GetString(7), StringComparison.Ordinal)))
                    {
                        break; // the same vault (and container) again, reached through another group
                    }
                    if (!r.IsDBNull(7)) containers!.Add(ReadContainer(r, 7));
                    break;
            }
        }, ct, ("@d", Dialect.Id(deviceId))).ConfigureAwait(false);
        return displayName is null ? null : new MeView(deviceId, displayName, registeredAt, groups, vaults);
    }
}
