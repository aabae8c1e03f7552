using TinySync.Server.Blobs;

namespace TinySync.Server.Storage.Sql;

// Vault sync, part 3b: registering a batch of chunks with one blob-store barrier and one transaction.
public partial class SqlStore
{
    /// <inheritdoc />
    public async Task<int> RegisterChunksAsync(Guid vaultId, Guid deviceId, IReadOnlyList<(string Hash, ReadOnlyMemory<byte> Content)> chunks, IChunkStore blobs,
        DateTimeOffset now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        ArgumentNullException.ThrowIfNull(blobs);
        var unique = new List<(string Hash, ReadOnlyMemory<byte> Content)>(chunks.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in chunks) if (seen.Add(c.Hash)) unique.Add(c);
        if (unique.Count == 0) return 0;

        // The bytes first, outside the transaction (the slow part), all behind one durability barrier.
        await blobs.PutManyAsync(await AbsentAsync(unique, blobs, ct).ConfigureAwait(false), ct).ConfigureAwait(false);

        await using var w = await Dialect.BeginWriteAsync(ct).ConfigureAwait(false);
        await RecheckAccessAsync(w, deviceId, vaultId, ct).ConfigureAwait(false);
        var t = Dialect.Time(now);
        var v = ("@v", Dialect.Id(vaultId));
        // Upserting the chunk rows locks them: a collector deleting one of these chunks finishes (or waits) first.
        foreach (var (hash, content) in unique)
        {
            await Sql.ExecuteAsync(w.Connection, w.Transaction,
                "INSERT INTO chunks (hash, size, stored_at) VALUES (@h, @s, @t) ON CONFLICT (hash) DO UPDATE SET size = excluded.size", ct,
                ("@h", hash), ("@s", (long)content.Length), ("@t", t)).ConfigureAwait(false);
        }
        // The collector may have removed bytes between our write and the locks: put them back under the locks.
        var gone = await AbsentAsync(unique, blobs, ct).ConfigureAwait(false);
        if (gone.Count > 0) await blobs.PutManyAsync(gone, ct).ConfigureAwait(false);
        var created = 0;
        foreach (var (hash, _) in unique)
        {
            var held = await Sql.ScalarAsync(w.Connection, w.Transaction,
                $"SELECT 1 FROM vault_chunks WHERE vault_id = @v AND hash = @h{Dialect.ForUpdate}", ct, v!, ("@h", hash)).ConfigureAwait(false) is not null;
            // Uploading again refreshes the registration, so a chunk a client just confirmed is not collected under it.
            await Sql.ExecuteAsync(w.Connection, w.Transaction,
                """
                INSERT INTO vault_chunks (vault_id, hash, registered_at) VALUES (@v, @h, @t)
                ON CONFLICT (vault_id, hash) DO UPDATE SET registered_at = excluded.registered_at
                """, ct, v!, ("@h", hash), ("@t", t)).ConfigureAwait(false);
            if (!held) created++;
        }
        await w.CommitAsync(ct).ConfigureAwait(false);
        return created;
    }

    static async Task<List<(string Hash, ReadOnlyMemory<byte> Content)>> AbsentAsync(List<(string Hash, ReadOnlyMemory<byte> Content)> chunks,
        IChunkStore blobs, CancellationToken ct)
    {
        var exists = new bool[chunks.Count];
        await Parallel.ForAsync(0, chunks.Count, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct },
            async (i, token) => exists[i] = await blobs.ExistsAsync(chunks[i].Hash, token).ConfigureAwait(false)).ConfigureAwait(false);
        return [.. chunks.Where((_, i) => !exists[i])];
    }
}
