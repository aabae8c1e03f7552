using System.Data.Common;
using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using TinySync.Core.Chunking;
using TinySync.Core.Contracts;
using TinySync.Core.Paths;

namespace TinySync.Server.Storage.Sql;

/// <summary>
/// One batch inside its write transaction: the rules of docs/protocol.md#operations applied op by op, in order. Statements are prepared
/// once per batch and reused, which is what makes large batches cheap. Reads are batched up front (the items every
/// op names, in one statement per container) and the rows a put or mkdir writes are buffered and written as
/// multi-row INSERTs (<see cref="FinishAsync"/>): a 1,000-put batch runs about 380 statements instead of about 4,000
/// (decision 0308). On PostgreSQL, where each statement is a network round trip, the first reads go in one round trip
/// and each table's rows in one array statement, the last ones together with the head update (decision 0505). No read misses a buffered write: every item the batch wrote is in its item cache, and the buffer
/// is flushed before any statement that reads or changes items in the database (a cache miss, a delete, a move).
/// </summary>
internal sealed partial class SyncBatch(SqlDialect dialect, WriteScope w, Guid vaultId, Guid deviceId, DateTimeOffset now, long head) : IAsyncDisposable
{
    readonly Dictionary<string, DbCommand> _commands = new(StringComparer.Ordinal);
    readonly Dictionary<string, ContainerPolicy> _containers = new(StringComparer.Ordinal);
    // Per-batch caches: the ops of a batch mostly share parents and chunks. Items are cached as this transaction
    // sees them; a delete or move (which touch whole subtrees) clears the cache.
    readonly Dictionary<(string Container, string Key), Item?> _items = [];
    readonly Dictionary<string, long?> _chunkSizes = new(StringComparer.Ordinal);
    readonly Dictionary<Guid, long> _committed = [];
    // Rows written by this batch and not yet sent to the database: the items by key (a later op on the same key
    // replaces the row, so one multi-row upsert never touches a row twice, which PostgreSQL refuses), the log rows
    // in seq order (each also gives an idempotency key).
    readonly Dictionary<(string Container, string Key), ItemRow> _pendingItems = [];
    readonly List<LogRow> _pendingLog = [];
    readonly object _vault = dialect.Id(vaultId);
    readonly object _device = dialect.Id(deviceId);
    readonly object _now = dialect.Time(now);
    RowWriter? _writer;

    RowWriter Writer => _writer ??= new RowWriter(dialect, w, name => name switch { "@v" => _vault, "@d" => _device, _ => _now });

    /// <summary>The vault's head after the ops applied so far.</summary>
    public long Head { get; private set; } = head;

    /// <summary>
    /// Reads what the ops look at first, in one round trip where the dialect can (PostgreSQL, decision 0505): the
    /// vault's containers, which ops this device already committed, every item the ops name (each op's path and its
    /// parent, a move's target and its parent; one statement per container; absent items are cached as absent), and
    /// the size of every chunk the puts name that this vault holds.
    /// </summary>
    public Task LoadAsync(IReadOnlyList<Op> ops, CancellationToken ct)
    {
        var queries = new List<SqlQuery> { ContainersQuery() };
        if (CommittedQuery(ops) is { } committed) queries.Add(committed);
        queries.AddRange(ItemQueries(ops));
        if (ChunkQuery(ops) is { } chunks) queries.Add(chunks);
        return dialect.QueryAllAsync(w, queries, ct);
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

    public async Task<OpResult> ApplyAsync(Op op, CancellationToken ct)
    {
        // Exactly once: an op this device already committed answers with its original result (if it is the same op).
        if (_committed.TryGetValue(op.OpId, out var prior)) return Replayed(op, prior);

        if ((CheckShape(op) ?? CheckPortable(op)) is { } malformed) return malformed;
        if (!_containers.TryGetValue(op.Container, out var policy))
            return Reject(op, RejectCodes.UnknownContainer, $"this vault has no container '{Trunc(op.Container)}'");
        if (policy.ReadOnly)
            return Reject(op, RejectCodes.ReadOnly, $"container '{op.Container}' is read-only");
        if (op.Kind == OpKind.Put && policy.MaxFileBytes is { } max && op.Size > max)
            return Reject(op, RejectCodes.FileTooLarge, $"the file is {op.Size} bytes; container '{op.Container}' takes files up to {max} bytes");

        var key = VaultPath.Key(op.Path);
        var current = await GetItemAsync(op.Container, key, ct).ConfigureAwait(false);
        if ((current?.Version ?? 0) != op.Base) return new OpResult { OpId = op.OpId, Status = OpStatus.Conflict, Current = current };

        return op.Kind switch
        {
            OpKind.Put => await PutAsync(op, key, current, ct).ConfigureAwait(false),
            OpKind.Mkdir => await MkdirAsync(op, key, current, ct).ConfigureAwait(false),
            OpKind.Delete => await DeleteAsync(op, key, current!, ct).ConfigureAwait(false),
            OpKind.Move => await MoveAsync(op, key, current!, ct).ConfigureAwait(false),
            _ => Reject(op, RejectCodes.InvalidOp, "unknown kind"),
        };
    }

    static OpResult? CheckShape(Op op)
    {
        if (!VaultPath.TryValidate(op.Path, out var error)) return Reject(op, RejectCodes.InvalidPath, $"path: {error}");
        if (op.Base < 0) return Reject(op, RejectCodes.InvalidOp, "base must be 0 (must not exist) or the item's version");
        var isPut = op.Kind == OpKind.Put;
        if (!isPut && (op.Size is not null || op.Chunks is not null || op.Executable is not null || op.Mtime is not null))
            return Reject(op, RejectCodes.InvalidOp, "size, chunks, executable and mtime belong to put ops only");
        if (op.Kind == OpKind.Move)
        {
            if (op.NewPath is null) return Reject(op, RejectCodes.InvalidOp, "a move needs new_path");
            if (!VaultPath.TryValidate(op.NewPath, out error)) return Reject(op, RejectCodes.InvalidPath, $"new_path: {error}");
        }
        else if (op.NewPath is not null)
        {
            return Reject(op, RejectCodes.InvalidOp, "new_path belongs to move ops only");
        }
        if (op.Seen is { } seen)
        {
            if (op.Kind != OpKind.Delete) return Reject(op, RejectCodes.InvalidOp, "seen belongs to delete ops only");
            if (seen < 0) return Reject(op, RejectCodes.InvalidOp, "seen must be 0 or more (the log seq through which the client's view is complete)");
        }
        if (op.Kind is OpKind.Delete or OpKind.Move && op.Base == 0)
            return Reject(op, RejectCodes.InvalidOp, $"a {(op.Kind == OpKind.Move ? "move" : "delete")} needs base = the item's current version");
        if (isPut)
        {
            if (op.Size is not { } size || size < 0) return Reject(op, RejectCodes.InvalidOp, "a put needs size (0 or more bytes)");
            if (op.Chunks is null) return Reject(op, RejectCodes.InvalidOp, "a put needs chunks (an empty list for an empty file)");
            foreach (var h in op.Chunks)
            {
                if (!ChunkHash.IsValid(h))
                    return Reject(op, RejectCodes.InvalidOp, $"'{Trunc(h ?? "null")}' is not a chunk hash: 64 lowercase hex characters of SHA-256");
            }
        }
        return null;
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

        var seq = ++Head;
        var chunks = ChunkList.Format(op.Chunks!);
        var mtime = op.Mtime is { } m ? dialect.Time(m) : null;
        var executable = op.Executable ?? false;
        _pendingItems[(op.Container, key)] = new ItemRow(op.Container, key, path, "file", seq, op.Size, chunks, executable, mtime);
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
        var seq = ++Head;
        // Written as a whole row like a put's: over a live directory the row only changes its version (a directory
        // row holds no size, chunks, executable or mtime, and path is the stored spelling).
        _pendingItems[(op.Container, key)] = new ItemRow(op.Container, key, path, "dir", seq, null, null, null, null);
        _items[(op.Container, key)] = new Item { Path = path, Kind = ItemKind.Dir, Version = seq };
        await LogAsync(op, seq, path, key, null, null, null, null, null, null, ct).ConfigureAwait(false);
        return Committed(op, seq);
    }

    async Task<OpResult> DeleteAsync(Op op, string key, Item current, CancellationToken ct)
    {
        await FlushItemsAsync(ct).ConfigureAwait(false);
        // A directory's own version does not change when something is added, edited or moved in under it. With
        // `seen`, the subtree must hold nothing that changed after the client's view: otherwise the delete would
        // take a file the client never saw (decision 0712). A conflict: the client pulls and plans again.
        if (current.Kind == ItemKind.Dir && op.Seen is { } seen)
        {
            var newer = await ScalarAsync(
                "SELECT path FROM items WHERE vault_id = @v AND container = @c AND path_key >= @lo AND path_key < @hi AND version > @s LIMIT 1", ct,
                ("@v", _vault), ("@c", op.Container), ("@lo", key + "/"), ("@hi", key + "0"), ("@s", seen)).ConfigureAwait(false);
            if (newer is not null) return new OpResult { OpId = op.OpId, Status = OpStatus.Conflict, Current = current };
        }
        var seq = ++Head;
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

        await FlushItemsAsync(ct).ConfigureAwait(false);
        var seq = ++Head;
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
        await FlushItemsAsync(ct).ConfigureAwait(false); // (never needed while the cache holds every pending row; cheap when empty)
        var cmd = Command(
            "SELECT path, kind, version, size, chunks, executable, mtime FROM items WHERE vault_id = @v AND container = @c AND path_key = @k",
            ("@v", _vault), ("@c", container), ("@k", key));
        Item? item;
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            item = await r.ReadAsync(ct).ConfigureAwait(false) ? ItemRows.Read(dialect, r, 0) : null;
        }
        _items[(container, key)] = item;
        return item;
    }

    /// <summary>Appends the log row of a committed op and remembers its result for retries of the same op id.</summary>
    async Task LogAsync(Op op, long seq, string path, string key, string? newPath, string? newKey, long? size, string? chunks,
        bool? executable, object? mtime, CancellationToken ct)
    {
        _pendingLog.Add(new LogRow(seq, dialect.Id(op.OpId), ItemRows.KindName(op.Kind), op.Container, path, key, newPath, newKey, size, chunks, executable, mtime,
            OpDigest.Of(op)));
        _committed[op.OpId] = seq;
        if (_pendingLog.Count >= LogFlushRows && !dialect.WritesRowArrays) await FlushLogAsync(ct).ConfigureAwait(false);
    }

    // Log rows buffered before they are written, where the dialect writes multi-row INSERTs (SQLite); where it
    // writes arrays (PostgreSQL) a batch's rows are written at once, at most 1,000.
    const int LogFlushRows = 256;

    /// <summary>
    /// Writes every buffered row and then the vault's new head, if any op committed: in one round trip where the
    /// dialect writes arrays. Called before the batch's transaction commits.
    /// </summary>
    public Task FinishAsync(long start, CancellationToken ct) => WritePendingAsync(
        Head > start ? new SqlStep("UPDATE vaults SET head_seq = @h WHERE vault_id = @v", [("@h", Head), ("@v", _vault)]) : null, ct);

    async Task WritePendingAsync(SqlStep? after, CancellationToken ct)
    {
        var sets = new List<RowSet>(3);
        if (_pendingItems.Count > 0) sets.Add(ItemRowSet());
        if (_pendingLog.Count > 0) sets.AddRange(LogRowSets());
        await Writer.WriteAsync(sets, after, ct).ConfigureAwait(false);
    }

    // Row templates: '#' is the row's number in the statement; @v, @d and @t are shared by all rows.
    static readonly RowsSql ItemsSql = new("items", "vault_id, container, path_key, path, kind, version, size, chunks, executable, mtime",
        "(@v, @c#, @k#, @p#, @n#, @s#, @z#, @h#, @x#, @m#)",
        """
         ON CONFLICT (vault_id, container, path_key) DO UPDATE SET path = excluded.path, kind = excluded.kind,
            version = excluded.version, size = excluded.size, chunks = excluded.chunks, executable = excluded.executable, mtime = excluded.mtime
        """, ["c", "k", "p", "n", "s", "z", "h", "x", "m"]);

    static readonly RowsSql LogSql = new("change_log",
        "vault_id, seq, op_id, device_id, kind, container, path, path_key, new_path, new_path_key, size, chunks, executable, mtime, committed_at",
        "(@v, @s#, @o#, @d, @n#, @c#, @p#, @k#, @q#, @j#, @z#, @h#, @x#, @m#, @t)", "", ["s", "o", "n", "c", "p", "k", "q", "j", "z", "h", "x", "m"]);

    // The stored result of a committed op is always {"status":"committed","seq":N}: built by the database from the seq.
    // The digest says what the op was, so a reused op_id is told apart from a retry (decision 0316).
    static readonly RowsSql KeysSql = new("idempotency_keys", "vault_id, device_id, op_id, seq, result, digest",
        """(@v, @d, @o#, @s#, '{"status":"committed","seq":' || @s# || '}', @g#)""", "", ["o", "s", "g"]);

    Task FlushItemsAsync(CancellationToken ct) =>
        _pendingItems.Count == 0 ? Task.CompletedTask : Writer.WriteAsync([ItemRowSet()], null, ct);

    Task FlushLogAsync(CancellationToken ct) =>
        _pendingLog.Count == 0 ? Task.CompletedTask : Writer.WriteAsync(LogRowSets(), null, ct);

    /// <summary>The buffered item rows, taken out of the buffer.</summary>
    RowSet ItemRowSet()
    {
        var rows = _pendingItems.Values.ToList();
        _pendingItems.Clear();
        return Writer.Rows(ItemsSql, rows, (row, ps, at) =>
        {
            ps[at] = row.Container; ps[at + 1] = row.Key; ps[at + 2] = row.Path; ps[at + 3] = row.Kind; ps[at + 4] = row.Version;
            ps[at + 5] = row.Size; ps[at + 6] = row.Chunks; ps[at + 7] = row.Executable; ps[at + 8] = row.Mtime;
        });
    }

    /// <summary>The buffered log rows and their idempotency keys, taken out of the buffer.</summary>
    RowSet[] LogRowSets()
    {
        var rows = _pendingLog.ToList();
        _pendingLog.Clear();
        return
        [
            Writer.Rows(LogSql, rows, (row, ps, at) =>
            {
                ps[at] = row.Seq; ps[at + 1] = row.OpId; ps[at + 2] = row.Kind; ps[at + 3] = row.Container; ps[at + 4] = row.Path;
                ps[at + 5] = row.Key; ps[at + 6] = row.NewPath; ps[at + 7] = row.NewKey; ps[at + 8] = row.Size; ps[at + 9] = row.Chunks;
                ps[at + 10] = row.Executable; ps[at + 11] = row.Mtime;
            }),
            Writer.Rows(KeysSql, rows, (row, ps, at) =>
            {
                ps[at] = row.OpId; ps[at + 1] = row.Seq; ps[at + 2] = row.Digest;
            }),
        ];
    }

    static OpResult Committed(Op op, long seq) => new() { OpId = op.OpId, Status = OpStatus.Committed, Seq = seq };

    static OpResult Reject(Op op, string code, string detail) => new() { OpId = op.OpId, Status = OpStatus.Rejected, Code = code, Detail = detail };

    static string Trunc(string value) => value.Length <= 80 ? value : value[..80] + "…";

    DbCommand Command(string sql, params (string Name, object? Value)[] ps)
    {
        if (_commands.TryGetValue(sql, out var cmd))
        {
            for (var i = 0; i < ps.Length; i++) cmd.Parameters[i].Value = ps[i].Value ?? DBNull.Value;
            return cmd;
        }
        cmd = Sql.Command(w.Connection, w.Transaction, sql, ps);
        _commands[sql] = cmd;
        return cmd;
    }

    async Task<object?> ScalarAsync(string sql, CancellationToken ct, params (string, object?)[] ps)
    {
        var v = await Command(sql, ps).ExecuteScalarAsync(ct).ConfigureAwait(false);
        return v is DBNull ? null : v;
    }

    Task<int> ExecuteAsync(string sql, CancellationToken ct, params (string, object?)[] ps) => Command(sql, ps).ExecuteNonQueryAsync(ct);

    sealed record ItemRow(string Container, string Key, string Path, string Kind, long Version, long? Size, string? Chunks, bool? Executable, object? Mtime);

    sealed record LogRow(long Seq, object OpId, string Kind, string Container, string Path, string Key, string? NewPath, string? NewKey,
        long? Size, string? Chunks, bool? Executable, object? Mtime, string Digest);

    public async ValueTask DisposeAsync()
    {
        foreach (var cmd in _commands.Values) await cmd.DisposeAsync().ConfigureAwait(false);
        _commands.Clear();
        if (_writer is not null) await _writer.DisposeAsync().ConfigureAwait(false);
    }
}
