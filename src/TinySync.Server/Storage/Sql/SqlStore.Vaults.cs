using System.Data.Common;
using TinySync.Core.Contracts;
using TinySync.Core.Identity;

namespace TinySync.Server.Storage.Sql;

public partial class SqlStore
{
    /// <inheritdoc />
    public async Task<(VaultView Vault, bool Created)> UpsertVaultAsync(Guid vaultId, string name, DateTimeOffset now, CancellationToken ct)
    {
        await using (var w = await Dialect.BeginWriteAsync(ct).ConfigureAwait(false))
        {
            var existing = await Sql.ScalarAsync(w.Connection, w.Transaction,
                $"SELECT name FROM vaults WHERE vault_id = @v{Dialect.ForUpdate}", ct, ("@v", Dialect.Id(vaultId))).ConfigureAwait(false) as string;
            var created = existing is null;
            if (created)
            {
                await Sql.ExecuteAsync(w.Connection, w.Transaction,
                    "INSERT INTO vaults (vault_id, name, created_at, head_seq) VALUES (@v, @n, @t, 0)", ct,
                    ("@v", Dialect.Id(vaultId)), ("@n", name), ("@t", Dialect.Time(now))).ConfigureAwait(false);
                await Sql.ExecuteAsync(w.Connection, w.Transaction,
                    "INSERT INTO containers (vault_id, name, namespace, max_file_bytes, read_only) VALUES (@v, @c, @c, NULL, @ro)", ct,
                    ("@v", Dialect.Id(vaultId)), ("@c", ContainerName.Default), ("@ro", false)).ConfigureAwait(false);
                await AuditAsync(w, now, "vault.created", $"vault:{vaultId}", new { name }, ct).ConfigureAwait(false);
            }
            else if (!string.Equals(existing, name, StringComparison.Ordinal))
            {
                await Sql.ExecuteAsync(w.Connection, w.Transaction, "UPDATE vaults SET name = @n WHERE vault_id = @v", ct,
                    ("@v", Dialect.Id(vaultId)), ("@n", name)).ConfigureAwait(false);
                await AuditAsync(w, now, "vault.renamed", $"vault:{vaultId}", new { from = existing, to = name }, ct).ConfigureAwait(false);
            }
            await w.CommitAsync(ct).ConfigureAwait(false);
            if (created) VaultCreated?.Invoke(vaultId);
            return ((await GetVaultAsync(vaultId, ct).ConfigureAwait(false))!, created);
        }
    }

    /// <summary>Raised after a vault is created (the sync layer hooks per-vault state here).</summary>
    public event Action<Guid>? VaultCreated;

    /// <inheritdoc />
    public async Task<VaultView?> GetVaultAsync(Guid vaultId, CancellationToken ct)
    {
        var page = await QueryVaultsAsync("WHERE vault_id = @v", ("@v", Dialect.Id(vaultId)), 1, ct).ConfigureAwait(false);
        return page.Count == 0 ? null : page[0];
    }

    /// <inheritdoc />
    public async Task<VaultList> ListVaultsAsync(Guid? after, int limit, CancellationToken ct)
    {
        var vaults = await QueryVaultsAsync(after is null ? "" : "WHERE vault_id > @v",
            ("@v", after is { } a ? Dialect.Id(a) : null), limit + 1, ct).ConfigureAwait(false);
        var more = vaults.Count > limit;
        if (more) vaults.RemoveAt(vaults.Count - 1);
        return new VaultList(vaults, more ? vaults[^1].VaultId : null);
    }

    async Task<List<VaultView>> QueryVaultsAsync(string where, (string, object?) p, int limit, CancellationToken ct)
    {
        await using var c = await ReadAsync(ct).ConfigureAwait(false);
        var vaults = await Sql.ListAsync(c, null,
            $"SELECT vault_id, name, created_at, head_seq FROM vaults {where} ORDER BY vault_id LIMIT @limit",
            r => new VaultView(Dialect.ReadId(r, 0), r.GetString(1), Dialect.ReadTime(r, 2), r.GetInt64(3), [], []),
            ct, p, ("@limit", limit)).ConfigureAwait(false);
        if (vaults.Count == 0) return vaults;
        var range = new[] { ("@first", Dialect.Id(vaults[0].VaultId)), ("@last", Dialect.Id(vaults[^1].VaultId)) };
        var containers = (await Sql.ListAsync(c, null,
            "SELECT vault_id, name, namespace, max_file_bytes, read_only FROM containers WHERE vault_id >= @first AND vault_id <= @last ORDER BY name",
            r => (Vault: Dialect.ReadId(r, 0), Container: ReadContainer(r, 1)), ct, range!).ConfigureAwait(false))
            .ToLookup(x => x.Vault, x => x.Container);
        var groups = (await Sql.ListAsync(c, null,
            "SELECT vault_id, group_id FROM group_vaults WHERE vault_id >= @first AND vault_id <= @last ORDER BY group_id",
            r => (Vault: Dialect.ReadId(r, 0), Group: r.GetString(1)), ct, range!).ConfigureAwait(false))
            .ToLookup(x => x.Vault, x => x.Group);
        return vaults.Select(v => v with { Containers = containers[v.VaultId].ToList(), Groups = groups[v.VaultId].ToList() }).ToList();
    }

    /// <summary>Reads (name, namespace, max_file_bytes, read_only) starting at <paramref name="at"/>.</summary>
    protected static ContainerView ReadContainer(DbDataReader r, int at) =>
        new(r.GetString(at), r.GetString(at + 1), new ContainerPolicy(r.NullableInt64(at + 2), r.GetBoolean(at + 3)));

    /// <inheritdoc />
    public async Task<(ContainerView Container, bool Created)?> UpsertContainerAsync(Guid vaultId, string name, string ns, ContainerPolicy policy, DateTimeOffset now, CancellationToken ct)
    {
        await using var w = await Dialect.BeginWriteAsync(ct).ConfigureAwait(false);
        var vault = await Sql.ScalarAsync(w.Connection, w.Transaction, $"SELECT 1 FROM vaults WHERE vault_id = @v{Dialect.ForUpdate}", ct,
            ("@v", Dialect.Id(vaultId))).ConfigureAwait(false);
        if (vault is null) return null;
        var current = await Sql.FirstOrDefaultAsync(w.Connection, w.Transaction,
            "SELECT name, namespace, max_file_bytes, read_only FROM containers WHERE vault_id = @v AND name = @n",
            r => ReadContainer(r, 0), ct, ("@v", Dialect.Id(vaultId)), ("@n", name)).ConfigureAwait(false);
        var wanted = new ContainerView(name, ns, policy);
        if (current == wanted) return (wanted, false);
        await Sql.ExecuteAsync(w.Connection, w.Transaction,
            """
            INSERT INTO containers (vault_id, name, namespace, max_file_bytes, read_only) VALUES (@v, @n, @ns, @max, @ro)
            ON CONFLICT (vault_id, name) DO UPDATE SET namespace = excluded.namespace, max_file_bytes = excluded.max_file_bytes, read_only = excluded.read_only
            """, ct,
            ("@v", Dialect.Id(vaultId)), ("@n", name), ("@ns", ns), ("@max", policy.MaxFileBytes), ("@ro", policy.ReadOnly)).ConfigureAwait(false);
        await AuditAsync(w, now, current is null ? "container.created" : "container.updated", $"vault:{vaultId}/container:{name}",
            new { @namespace = ns, max_file_bytes = policy.MaxFileBytes, read_only = policy.ReadOnly }, ct).ConfigureAwait(false);
        await w.CommitAsync(ct).ConfigureAwait(false);
        return (wanted, current is null);
    }
}
