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
    // its groups (kind 1), and every (vault, container) pair it reaches (kind 2), once per group that reaches it.
    // No ORDER BY: SQLite would sort in temporary B-trees, which cost more than the lookups; the few rows are put in
    // the documented order here instead (byte order of ids and names, as ORDER BY gives on both databases).
    // Columns of different types never share a slot. PostgreSQL types a UNION pairwise from the left, so the first
    // branch casts its NULLs to the column types (SQLite accepts any type name in CAST; CAST(NULL AS ...) is NULL).
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
        """;

    /// <inheritdoc />
    public async Task<MeView?> GetMeAsync(Guid deviceId, CancellationToken ct)
    {
        await using var c = await ReadAsync(ct).ConfigureAwait(false);
        string? displayName = null;
        var registeredAt = default(DateTimeOffset);
        var groups = new List<string>();
        var vaults = new List<MeVault>();
        var byId = new Dictionary<Guid, MeVault>();
        await Dialect.EachRowAsync(c, MeSql, "@d", deviceId, r =>
        {
            switch (r.GetInt32(0))
            {
                case 0:
                    displayName = r.GetString(1);
                    registeredAt = r.GetTime(2);
                    break;
                case 1:
                    groups.Add(r.GetString(3));
                    break;
                default:
                    var vaultId = r.GetId(4);
                    if (!byId.TryGetValue(vaultId, out var vault))
                    {
                        vault = new MeVault(vaultId, r.GetString(5), r.GetInt64(6), new List<ContainerView>());
                        byId.Add(vaultId, vault);
                        vaults.Add(vault);
                    }
                    if (r.IsNull(7)) break;
                    var containers = (List<ContainerView>)vault.Containers;
                    var name = r.GetString(7);
                    // the same container again when the vault is reached through another group
                    if (!containers.Exists(x => string.Equals(x.Name, name, StringComparison.Ordinal)))
                        containers.Add(new ContainerView(name, r.GetString(8), new ContainerPolicy(r.NullableInt64(9), r.GetBoolean(10))));
                    break;
            }
            return true;
        }, ct).ConfigureAwait(false);
        if (displayName is null) return null;
        // Group ids and container names are ASCII by validation, so ordinal order is their byte order.
        groups.Sort(StringComparer.Ordinal);
        vaults.Sort(static (a, b) => CompareIdBytes(a.VaultId, b.VaultId));
        foreach (var v in vaults) ((List<ContainerView>)v.Containers).Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        return new MeView(deviceId, displayName, registeredAt, groups, vaults);
    }

    /// <summary>UUIDs in the order of their 16 bytes (RFC 9562 layout): the order of PostgreSQL's uuid and of the canonical text.</summary>
    static int CompareIdBytes(Guid a, Guid b)
    {
        Span<byte> x = stackalloc byte[16];
        Span<byte> y = stackalloc byte[16];
        a.TryWriteBytes(x, bigEndian: true, out _);
        b.TryWriteBytes(y, bigEndian: true, out _);
        return x.SequenceCompareTo(y);
    }
}
