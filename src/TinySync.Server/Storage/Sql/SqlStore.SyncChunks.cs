using System.Globalization;
using TinySync.Server.Blobs;

namespace TinySync.Server.Storage.Sql;

// Vault sync, part 3: chunk registrations per vault and garbage collection after the retention window.
public partial class SqlStore
{
    const int InListSize = 500;

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> FindMissingChunksAsync(Guid vaultId, IReadOnlyList<string> hashes, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(hashes);
        var wanted = hashes.Distinct(StringComparer.Ordinal).ToList();
        var held = new HashSet<string>(StringComparer.Ordinal);
        await using var c = await ReadAsync(ct).ConfigureAwait(false);
        for (var i = 0; i < wanted.Count; i += InListSize)
        {
            var part = wanted.Skip(i).Take(InListSize).ToList();
            var ps = new List<(string, object?)> { ("@v", Dialect.Id(vaultId)) };
            ps.AddRange(part.Select((h, j) => ($"@h{j}", (object?)h)));
            var names = string.Join(", ", part.Select((_, j) => $"@h{j}"));
            foreach (var h in await Sql.ListAsync(c, null, $"SELECT hash FROM vault_chunks WHERE vault_id = @v AND hash IN ({names})",
                r => r.GetString(0), ct, [.. ps]).ConfigureAwait(false))
            {
                held.Add(h);
            }
        }
        return wanted.Where(h => !held.Contains(h)).ToList();
    }

    /// <inheritdoc />
    public async Task<bool> HoldsChunkAsync(Guid vaultId, string hash, CancellationToken ct)
    {
        await using var c = await ReadAsync(ct).ConfigureAwait(false);
        return await Sql.ScalarAsync(c, null, "SELECT 1 FROM vault_chunks WHERE vault_id = @v AND hash = @h", ct,
            ("@v", Dialect.Id(vaultId)), ("@h", hash)).ConfigureAwait(false) is not null;
    }

    /// <inheritdoc />
    public async Task<bool> RegisterChunkAsync(Guid vaultId, Guid deviceId, string hash, ReadOnlyMemory<byte> content, IChunkStore blobs, DateTimeOffset now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(blobs);
        // Write the bytes outside the transaction (the slow part), then register while holding the chunk's row.
        if (!await blobs.ExistsAsync(hash, ct).ConfigureAwait(false)) await blobs.PutAsync(hash, content, ct).ConfigureAwait(false);
        await using var w = await Dialect.BeginWriteAsync(ct).ConfigureAwait(false);
        await RecheckAccessAsync(w, deviceId, vaultId, ct).ConfigureAwait(false);
        var t = Dialect.Time(now);
        // Upserting the chunk row locks it: a collector deleting this chunk finishes (or waits) first.
        await Sql.ExecuteAsync(w.Connection, w.Transaction,
            "INSERT INTO chunks (hash, size, stored_at) VALUES (@h, @s, @t) ON CONFLICT (hash) DO UPDATE SET size = excluded.size", ct,
            ("@h", hash), ("@s", (long)content.Length), ("@t", t)).ConfigureAwait(false);
        // The collector may have removed the bytes between our write and the lock: put them back under the lock.
        if (!await blobs.ExistsAsync(hash, ct).ConfigureAwait(false)) await blobs.PutAsync(hash, content, ct).ConfigureAwait(false);
        var v = ("@v", Dialect.Id(vaultId));
        var held = await Sql.ScalarAsync(w.Connection, w.Transaction,
            $"SELECT 1 FROM vault_chunks WHERE vault_id = @v AND hash = @h{Dialect.ForUpdate}", ct, v!, ("@h", hash)).ConfigureAwait(false) is not null;
        // Uploading again refreshes the registration, so a chunk a client just confirmed is not collected under it.
        await Sql.ExecuteAsync(w.Connection, w.Transaction,
            """
            INSERT INTO vault_chunks (vault_id, hash, registered_at) VALUES (@v, @h, @t)
            ON CONFLICT (vault_id, hash) DO UPDATE SET registered_at = excluded.registered_at
            """, ct, v!, ("@h", hash), ("@t", t)).ConfigureAwait(false);
        await w.CommitAsync(ct).ConfigureAwait(false);
        return !held;
    }

    /// <inheritdoc />
    public async Task<GcReport> CollectGarbageAsync(DateTimeOffset now, TimeSpan retention, IChunkStore blobs, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(blobs);
        var cutoff = Dialect.Time(now - retention);
        List<Guid> vaults;
        await using (var c = await ReadAsync(ct).ConfigureAwait(false))
        {
            vaults = await Sql.ListAsync(c, null, "SELECT DISTINCT vault_id FROM vault_chunks WHERE registered_at < @cut",
                r => Dialect.ReadId(r, 0), ct, ("@cut", cutoff)).ConfigureAwait(false);
        }
        var registrations = 0;
        foreach (var vault in vaults) registrations += await CollectVaultAsync(vault, cutoff, ct).ConfigureAwait(false);
        var chunks = 0;
        while (true)
        {
            var deleted = await DeleteUnregisteredChunksAsync(blobs, ct).ConfigureAwait(false);
            chunks += deleted.Deleted;
            if (!deleted.More) break;
        }
        return new GcReport(registrations, chunks);
    }

    async Task<int> CollectVaultAsync(Guid vaultId, object cutoff, CancellationToken ct)
    {
        await using var w = await Dialect.BeginWriteAsync(ct).ConfigureAwait(false);
        var v = ("@v", Dialect.Id(vaultId));
        // Lock the vault like a commit does: no put can reference a chunk between our scan and our delete.
        await Sql.ExecuteAsync(w.Connection, w.Transaction, "UPDATE vaults SET head_seq = head_seq WHERE vault_id = @v", ct, v!).ConfigureAwait(false);
        var referenced = new HashSet<string>(StringComparer.Ordinal);
        foreach (var list in await Sql.ListAsync(w.Connection, w.Transaction,
            "SELECT chunks FROM items WHERE vault_id = @v AND chunks IS NOT NULL", r => r.GetString(0), ct, v!).ConfigureAwait(false))
        {
            referenced.UnionWith(ChunkList.Parse(list));
        }
        foreach (var list in await Sql.ListAsync(w.Connection, w.Transaction,
            "SELECT chunks FROM change_log WHERE vault_id = @v AND committed_at >= @cut AND chunks IS NOT NULL", r => r.GetString(0), ct, v!, ("@cut", cutoff)).ConfigureAwait(false))
        {
            referenced.UnionWith(ChunkList.Parse(list));
        }
        // What deletes removed stays restorable for the window after the delete (decision 0321).
        foreach (var list in await Sql.ListAsync(w.Connection, w.Transaction,
            "SELECT chunks FROM deleted_items WHERE vault_id = @v AND deleted_at >= @cut", r => r.GetString(0), ct, v!, ("@cut", cutoff)).ConfigureAwait(false))
        {
            referenced.UnionWith(ChunkList.Parse(list));
        }
        await Sql.ExecuteAsync(w.Connection, w.Transaction, "DELETE FROM deleted_items WHERE vault_id = @v AND deleted_at < @cut", ct, v!, ("@cut", cutoff))
            .ConfigureAwait(false);
        var candidates = await Sql.ListAsync(w.Connection, w.Transaction,
            "SELECT hash FROM vault_chunks WHERE vault_id = @v AND registered_at < @cut", r => r.GetString(0), ct, v!, ("@cut", cutoff)).ConfigureAwait(false);
        var removed = 0;
        foreach (var hash in candidates.Where(h => !referenced.Contains(h)))
        {
            removed += await Sql.ExecuteAsync(w.Connection, w.Transaction,
                "DELETE FROM vault_chunks WHERE vault_id = @v AND hash = @h AND registered_at < @cut", ct, v!, ("@h", hash), ("@cut", cutoff)).ConfigureAwait(false);
        }
        await w.CommitAsync(ct).ConfigureAwait(false);
        return removed;
    }

    async Task<(int Deleted, bool More)> DeleteUnregisteredChunksAsync(IChunkStore blobs, CancellationToken ct)
    {
        const int Batch = 500;
        await using var w = await Dialect.BeginWriteAsync(ct).ConfigureAwait(false);
        var orphans = await Sql.ListAsync(w.Connection, w.Transaction,
            $"SELECT hash FROM chunks c WHERE NOT EXISTS (SELECT 1 FROM vault_chunks vc WHERE vc.hash = c.hash) ORDER BY hash LIMIT @n{Dialect.ForUpdate}",
            r => r.GetString(0), ct, ("@n", Batch)).ConfigureAwait(false);
        var deleted = 0;
        foreach (var hash in orphans)
        {
            // Check again now that the row is locked: an upload may have registered it while we waited.
            if (await Sql.ScalarAsync(w.Connection, w.Transaction, "SELECT 1 FROM vault_chunks WHERE hash = @h", ct, ("@h", hash)).ConfigureAwait(false) is not null)
                continue;
            await blobs.DeleteAsync(hash, ct).ConfigureAwait(false);
            deleted += await Sql.ExecuteAsync(w.Connection, w.Transaction, "DELETE FROM chunks WHERE hash = @h", ct, ("@h", hash)).ConfigureAwait(false);
        }
        await w.CommitAsync(ct).ConfigureAwait(false);
        return (deleted, orphans.Count == Batch && deleted > 0);
    }

    /// <summary>Number of chunks stored physically (tests and metrics).</summary>
    internal async Task<long> CountStoredChunksAsync(CancellationToken ct)
    {
        await using var c = await ReadAsync(ct).ConfigureAwait(false);
        return Convert.ToInt64(await Sql.ScalarAsync(c, null, "SELECT COUNT(*) FROM chunks", ct).ConfigureAwait(false), CultureInfo.InvariantCulture);
    }
}
