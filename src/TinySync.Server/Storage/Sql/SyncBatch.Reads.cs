using TinySync.Core.Chunking;
using TinySync.Core.Contracts;
using TinySync.Core.Paths;

namespace TinySync.Server.Storage.Sql;

// What a batch reads before its first op: the vault's containers, the op ids already committed, the items the ops
// name and the chunks the puts name, each read once for the whole batch (decisions 0308, 0505).
internal sealed partial class SyncBatch
{
    /// <summary>
    /// The reads of what the ops look at, run before the first op, in one round trip with the vault's lock and the access
    /// check where the dialect can (PostgreSQL, decisions 0505, 0506): the
    /// vault's containers, which ops this device already committed, every item the ops name (each op's path and its
    /// parent, a move's target and its parent; one statement per container; absent items are cached as absent), and
    /// the size of every chunk the puts name that this vault holds.
    /// </summary>
    public IEnumerable<SqlQuery> LoadQueries(IReadOnlyList<Op> ops)
    {
        yield return ContainersQuery();
        if (CommittedQuery(ops) is { } committed) yield return committed;
        foreach (var items in ItemQueries(ops)) yield return items;
        if (ChunkQuery(ops) is { } chunks) yield return chunks;
    }

    SqlQuery ContainersQuery() => new("SELECT name, max_file_bytes, read_only FROM containers WHERE vault_id = @v", [("@v", _vault)],
        r => _containers[r.GetString(0)] = new ContainerPolicy(r.NullableInt64(1), r.GetBoolean(2)));

    /// <summary>Which ops of the batch this device already committed.</summary>
    SqlQuery? CommittedQuery(IReadOnlyList<Op> ops)
    {
        var ids = ops.Select(o => o.OpId).Distinct().ToList();
        if (ids.Count == 0) return null;
        return new($"SELECT op_id, seq, digest FROM idempotency_keys WHERE vault_id = @v AND device_id = @d AND {dialect.InList("op_id", "@o")}",
            [("@v", _vault), ("@d", _device), ("@o", dialect.IdList(ids))],
            r =>
            {
                var id = dialect.ReadId(r, 0);
                _committed[id] = r.GetInt64(1);
                _digests[id] = r.IsDBNull(2) ? null : r.GetString(2);
            });
    }

    IEnumerable<SqlQuery> ItemQueries(IReadOnlyList<Op> ops)
    {
        var wanted = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        void Want(string container, string path)
        {
            if (!wanted.TryGetValue(container, out var keys)) wanted[container] = keys = new HashSet<string>(StringComparer.Ordinal);
            keys.Add(VaultPath.Key(path));
            if (VaultPath.Parent(path) is { } parent) keys.Add(VaultPath.Key(parent));
        }
        foreach (var op in ops)
        {
            if (op.Container is null || !VaultPath.TryValidate(op.Path, out _)) continue;
            Want(op.Container, op.Path);
            if (op.Kind == OpKind.Move && op.NewPath is not null && VaultPath.TryValidate(op.NewPath, out _)) Want(op.Container, op.NewPath);
        }
        foreach (var (container, keys) in wanted)
        {
            foreach (var key in keys) _items[(container, key)] = null;
            yield return new(
                $"SELECT path_key, path, kind, version, size, chunks, executable, mtime FROM items WHERE vault_id = @v AND container = @c AND {dialect.InList("path_key", "@k")}",
                [("@v", _vault), ("@c", container), ("@k", dialect.TextList(keys))],
                r => _items[(container, r.GetString(0))] = ItemRows.Read(dialect, r, 1));
        }
    }

    /// <summary>The sizes of the chunks the puts name, where this vault holds them; the others are cached as missing.</summary>
    SqlQuery? ChunkQuery(IReadOnlyList<Op> ops)
    {
        var hashes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var op in ops)
        {
            if (op.Kind != OpKind.Put || op.Chunks is null) continue;
            foreach (var h in op.Chunks)
            {
                if (h is not null && ChunkHash.IsValid(h)) hashes.Add(h);
            }
        }
        if (hashes.Count == 0) return null;
        foreach (var h in hashes) _chunkSizes[h] = null;
        return new($"SELECT c.hash, c.size FROM vault_chunks vc JOIN chunks c ON c.hash = vc.hash WHERE vc.vault_id = @v AND {dialect.InList("vc.hash", "@h")}",
            [("@v", _vault), ("@h", dialect.TextList(hashes))],
            r => _chunkSizes[r.GetString(0)] = r.GetInt64(1));
    }
}
