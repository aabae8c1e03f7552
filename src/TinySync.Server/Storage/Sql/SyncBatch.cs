using System.Globalization;
using TinySync.Core.Chunking;
using TinySync.Core.Contracts;
using TinySync.Core.Paths;
using static TinySync.Server.Storage.Sql.OpResults;

namespace TinySync.Server.Storage.Sql;

/// <summary>
/// Where an op is applied: one batch inside its write transaction, the rules of docs/protocol.md#operations op by op, in
/// order. An op's shape is checked first, without the database (<see cref="OpShape"/>); then against the vault as this
/// transaction sees it: its containers, the item's version, the parent directory, the chunks the vault holds. A
/// committed op takes the next seq (<see cref="SeqAllocator"/>) and its rows go to the <see cref="OpWriteBuffer"/>.
/// What the ops look at is read up front (SyncBatch.Reads.cs) and cached; no read misses a buffered write: every item
/// the batch wrote is in the item cache, and the buffer is flushed before any statement that reads or changes items in
/// the database (a cache miss, a delete, a move).
/// </summary>
internal sealed partial class SyncBatch(SqlDialect dialect, WriteScope w, Guid vaultId, Guid deviceId, DateTimeOffset now, SeqAllocator seqs)
{
    readonly Dictionary<string, ContainerPolicy> _containers = new(StringComparer.Ordinal);
    // Per-batch caches: the ops of a batch mostly share parents and chunks. Items are cached as this transaction
    // sees them; a delete or move (which touch whole subtrees) clears the cache.
    readonly Dictionary<(string Container, string Key), Item?> _items = [];
    readonly Dictionary<string, long?> _chunkSizes = new(StringComparer.Ordinal);
    readonly Dictionary<Guid, long> _committed = [];
    readonly object _vault = dialect.Id(vaultId);
    readonly object _device = dialect.Id(deviceId);
    readonly object _now = dialect.Time(now);
    readonly OpWriteBuffer _buffer = new(dialect, w, dialect.Id(vaultId), dialect.Id(deviceId), dialect.Time(now));


    /// <summary>
    /// Writes every buffered row and then the vault's new head, if any op committed: in one round trip where the
    /// dialect writes arrays (PostgreSQL, decision 0505). Called before the batch's transaction commits.
    /// </summary>
    public Task FinishAsync(CancellationToken ct) => _buffer.WriteAllAsync(seqs.HeadUpdate, ct);

    public async Task<OpResult> ApplyAsync(Op op, CancellationToken ct)
    {
        // Exactly once: an op this device already committed answers with its original result (if it is the same op).
        if (_committed.TryGetValue(op.OpId, out var prior)) return Replayed(op, prior);

        if (OpShape.Check(op) is { } malformed) return malformed;
        if (!_containers.TryGetValue(op.Container, out var policy))
            return Reject(op, RejectCodes.UnknownContainer, $"this vault has no container '{Trunc(op.Container)}'");
        if (policy.ReadOnly)
            return Reject(op, RejectCodes.ReadOnly, $"container '{op.Container}' is read-only");
        if (op.Kind == OpKind.Put && policy.MaxFileBytes is { } max && op.Size > max)
            return Reject(op, RejectCodes.FileTooLarge, $"the file is {op.Size} bytes; container '{op.Container}' takes files up to {max} bytes");

        var key = VaultPath.Key(op.Path);
        var current = await GetItemAsync(op.Container, key, ct).ConfigureAwait(false);
        if ((current?.Version ?? 0) != op.Base) return Conflict(op, current);

        return op.Kind switch
        {
            OpKind.Put => await PutAsync(op, key, current, ct).ConfigureAwait(false),
            OpKind.Mkdir => await MkdirAsync(op, key, current, ct).ConfigureAwait(false),
            OpKind.Delete => await DeleteAsync(op, key, current!, ct).ConfigureAwait(false),
            OpKind.Move => await MoveAsync(op, key, current!, ct).ConfigureAwait(false),
            _ => Reject(op, RejectCodes.InvalidOp, "unknown kind"),
        };
    }

    async Task<OpResult> PutAsync(Op op, string key, Item? current, CancellationToken ct)
    {
        if (current is { Kind: ItemKind.Dir })
            return Reject(op, RejectCodes.KindMismatch, $"'{Trunc(current.Path)}' is a directory; delete it before putting a file there");
        var (path, parentProblem) = await CanonicalPathAsync(op, op.Container, op.Path, ct).ConfigureAwait(false);
        if (parentProblem is not null) return parentProblem;

        long sum = 0;
        List<string>? missing = null;
        foreach (var hash in op.Chunks!)
        {
            if (!_chunkSizes.TryGetValue(hash, out var size))
            {
                var found = await ScalarAsync(
                    "SELECT c.size FROM vault_chunks vc JOIN chunks c ON c.hash = vc.hash WHERE vc.vault_id = @v AND vc.hash = @h", ct,
                    ("@v", _vault), ("@h", hash)).ConfigureAwait(false);
                _chunkSizes[hash] = size = found is null ? null : Convert.ToInt64(found, CultureInfo.InvariantCulture);
            }
            if (size is null) (missing ??= []).Add(hash);
            else sum += size.Value;
        }
        if (missing is not null)
        {
            var distinct = missing.Distinct(StringComparer.Ordinal).ToList();
            return Reject(op, RejectCodes.MissingChunks,
                $"this vault does not hold {distinct.Count} of the file's chunks (first: {distinct[0]}); upload them with PUT /v1/vaults/{vaultId}/chunks/{{sha256}} and retry");
        }
        if (sum != op.Size)
            return Reject(op, RejectCodes.SizeMismatch, $"size is {op.Size} but the chunks add up to {sum} bytes");

        var seq = seqs.Next();
        var chunks = ChunkList.Format(op.Chunks!);
        var mtime = op.Mtime is { } m ? dialect.Time(m) : null;
        var executable = op.Executable ?? false;
        _buffer.Item(new ItemRow(op.Container, key, path, "file", seq, op.Size, chunks, executable, mtime));
        _items[(op.Container, key)] = new Item
        {
            Path = path, Kind = ItemKind.File, Version = seq, Size = op.Size, Chunks = op.Chunks, Executable = executable,
            // as the database gives it back: UTC, microsecond precision (both dialects)
            Mtime = op.Mtime is { } t ? new DateTimeOffset(t.UtcTicks - t.UtcTicks % 10, TimeSpan.Zero) : null,
        };
        await LogAsync(op, seq, path, key, null, null, op.Size, chunks, executable, mtime, ct).ConfigureAwait(false);
        return Committed(op, seq);
    }

    async Task<OpResult> MkdirAsync(Op op, string key, Item? current, CancellationToken ct)
    {
        if (current is { Kind: ItemKind.File })
            return Reject(op, RejectCodes.KindMismatch, $"'{Trunc(current.Path)}' is a file; delete it before making a directory there");
        var (path, parentProblem) = await CanonicalPathAsync(op, op.Container, op.Path, ct).ConfigureAwait(false);
        if (parentProblem is not null) return parentProblem;
        // mkdir over a live directory (base = its version) only bumps its version: its spelling, which its
        // children's paths start with, changes through a move.
        if (current is not null) path = current.Path;
        var seq = seqs.Next();
        // Written as a whole row like a put's: over a live directory the row only changes its version (a directory
        // row holds no size, chunks, executable or mtime, and path is the stored spelling).
        _buffer.Item(new ItemRow(op.Container, key, path, "dir", seq, null, null, null, null));
        _items[(op.Container, key)] = new Item { Path = path, Kind = ItemKind.Dir, Version = seq };
        await LogAsync(op, seq, path, key, null, null, null, null, null, null, ct).ConfigureAwait(false);
        return Committed(op, seq);
    }

    async Task<OpResult> DeleteAsync(Op op, string key, Item current, CancellationToken ct)
    {
        await _buffer.FlushItemsAsync(ct).ConfigureAwait(false);
        // A directory's own version does not change when something is added, edited or moved in under it. With
        // `seen`, the subtree must hold nothing that changed after the client's view: otherwise the delete would
        // take a file the client never saw (decision 0712). A conflict: the client pulls and plans again.
        if (current.Kind == ItemKind.Dir && op.Seen is { } seen)
        {
            var newer = await ScalarAsync(
                "SELECT path FROM items WHERE vault_id = @v AND container = @c AND path_key >= @lo AND path_key < @hi AND version > @s LIMIT 1", ct,
                ("@v", _vault), ("@c", op.Container), ("@lo", key + "/"), ("@hi", key + "0"), ("@s", seen)).ConfigureAwait(false);
            if (newer is not null) return Conflict(op, current);
        }
        var seq = seqs.Next();
        // The files it removes stay listable and restorable for the retention window (decision 0321).
        await ExecuteAsync(
            """
            INSERT INTO deleted_items (vault_id, deleted_seq, container, path_key, path, version, size, chunks, executable, mtime, deleted_at)
            SELECT vault_id, @s, container, path_key, path, version, size, chunks, executable, mtime, @t FROM items
            WHERE vault_id = @v AND container = @c AND kind = 'file' AND (path_key = @k OR (path_key >= @lo AND path_key < @hi))
            """, ct,
            ("@s", seq), ("@t", _now), ("@v", _vault), ("@c", op.Container), ("@k", key), ("@lo", key + "/"), ("@hi", key + "0")).ConfigureAwait(false);
        // The item and, for a directory, its whole subtree: keys 'K/' <= key < 'K0' ('0' follows '/').
        await ExecuteAsync(
            "DELETE FROM items WHERE vault_id = @v AND container = @c AND (path_key = @k OR (path_key >= @lo AND path_key < @hi))", ct,
            ("@v", _vault), ("@c", op.Container), ("@k", key), ("@lo", key + "/"), ("@hi", key + "0")).ConfigureAwait(false);
        _items.Clear();
        await LogAsync(op, seq, current.Path, key, null, null, null, null, null, null, ct).ConfigureAwait(false);
        return Committed(op, seq);
    }

    async Task<OpResult> MoveAsync(Op op, string key, Item current, CancellationToken ct)
    {
        var newKey = VaultPath.Key(op.NewPath!);
        var sameKey = string.Equals(newKey, key, StringComparison.Ordinal);
        if (sameKey && string.Equals(op.NewPath, current.Path, StringComparison.Ordinal))
            return Reject(op, RejectCodes.InvalidMove, "new_path is the item's current path");
        if (!sameKey && current.Kind == ItemKind.Dir && VaultPath.IsSameOrUnder(op.NewPath!, current.Path))
            return Reject(op, RejectCodes.InvalidMove, "a directory cannot move into its own subtree");
        if (!sameKey && await GetItemAsync(op.Container, newKey, ct).ConfigureAwait(false) is { } occupied)
            return Reject(op, RejectCodes.DestinationExists, $"'{Trunc(occupied.Path)}' (version {occupied.Version}) is in the way; move or delete it first");
        var (newPath, parentProblem) = await CanonicalPathAsync(op, op.Container, op.NewPath!, ct).ConfigureAwait(false);
        if (parentProblem is not null) return parentProblem;

        await _buffer.FlushItemsAsync(ct).ConfigureAwait(false);
        var seq = seqs.Next();
        // One statement renames the whole subtree; every moved item takes the move's seq as its version, so later
        // ops based on what the client saw in the log match. Children's paths start with the directory's stored
        // path (puts and mkdirs canonicalize the parent part), so the prefix swap is exact.
        await ExecuteAsync(
            """
            UPDATE items SET path_key = @nk || substr(path_key, length(@k) + 1), path = @np || substr(path, length(@p) + 1), version = @s
            WHERE vault_id = @v AND container = @c AND (path_key = @k OR (path_key >= @lo AND path_key < @hi))
            """, ct,
            ("@nk", newKey), ("@k", key), ("@np", newPath), ("@p", current.Path), ("@s", seq),
            ("@v", _vault), ("@c", op.Container), ("@lo", key + "/"), ("@hi", key + "0")).ConfigureAwait(false);
        _items.Clear();
        await LogAsync(op, seq, current.Path, key, newPath, newKey, null, null, null, null, ct).ConfigureAwait(false);
        return Committed(op, seq);
    }

    /// <summary>
    /// The path as it will be stored: the parent part spelled as the live parent directory is (case preserved from
    /// when it was made), the last segment as the op gave it. A problem when the parent is not a live directory.
    /// </summary>
    async Task<(string Path, OpResult? Problem)> CanonicalPathAsync(Op op, string container, string path, CancellationToken ct)
    {
        var parent = VaultPath.Parent(path);
        if (parent is null) return (path, null);
        var dir = await GetItemAsync(container, VaultPath.Key(parent), ct).ConfigureAwait(false);
        if (dir is not { Kind: ItemKind.Dir })
        {
            return ("", Reject(op, RejectCodes.ParentMissing, dir is null
                ? $"the parent directory '{Trunc(parent)}' does not exist; mkdir it first (in the same batch is fine)"
                : $"the parent '{Trunc(dir.Path)}' is a file, not a directory"));
        }
        return (VaultPath.Combine(dir.Path, VaultPath.Name(path)), null);
    }

    async Task<Item?> GetItemAsync(string container, string key, CancellationToken ct)
    {
        if (_items.TryGetValue((container, key), out var cached)) return cached;
        await _buffer.FlushItemsAsync(ct).ConfigureAwait(false); // (never needed while the cache holds every pending row; cheap when empty)
        var item = await Sql.FirstOrDefaultAsync(w.Connection, w.Transaction,
            "SELECT path, kind, version, size, chunks, executable, mtime FROM items WHERE vault_id = @v AND container = @c AND path_key = @k",
            r => ItemRows.Read(dialect, r, 0), ct, ("@v", _vault), ("@c", container), ("@k", key)).ConfigureAwait(false);
        _items[(container, key)] = item;
        return item;
    }

    /// <summary>Buffers the log row of a committed op and remembers its result for retries of the same op id.</summary>
    Task LogAsync(Op op, long seq, string path, string key, string? newPath, string? newKey, long? size, string? chunks,
        bool? executable, object? mtime, CancellationToken ct)
    {
        _committed[op.OpId] = seq;
        return _buffer.LogAsync(new LogRow(seq, dialect.Id(op.OpId), ItemRows.KindName(op.Kind), op.Container, path, key, newPath, newKey, size, chunks,
            executable, mtime, OpDigest.Of(op)), ct);
    }

    Task<object?> ScalarAsync(string sql, CancellationToken ct, params (string, object?)[] ps) => Sql.ScalarAsync(w.Connection, w.Transaction, sql, ct, ps);

    Task<int> ExecuteAsync(string sql, CancellationToken ct, params (string, object?)[] ps) => Sql.ExecuteAsync(w.Connection, w.Transaction, sql, ct, ps);
}
