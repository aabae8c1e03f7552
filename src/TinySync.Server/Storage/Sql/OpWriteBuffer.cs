namespace TinySync.Server.Storage.Sql;

/// <summary>
/// Where a commit's ops are written. The rows a put or mkdir writes, every op's change-log row and its idempotency key
/// are buffered here and written together as multi-row inserts (<see cref="RowWriter"/>): a 1,000-put batch runs about
/// 380 statements instead of about 4,000 on SQLite (decision 0308), one round trip on PostgreSQL (decision 0505). Items
/// are kept by key: a later op on the same key replaces the row, so one multi-row upsert never touches a row twice,
/// which PostgreSQL refuses. <see cref="SyncBatch"/> flushes the items before any statement that reads or changes items
/// in the database.
/// </summary>
internal sealed class OpWriteBuffer(SqlDialect dialect, WriteScope w, object vault, object device, object now)
{
    // Log rows buffered before they are written, where the dialect writes multi-row INSERTs (SQLite); where it writes
    // arrays (PostgreSQL) a batch's rows are written at once, at most 1,000.
    const int LogFlushRows = 256;

    readonly Dictionary<(string Container, string Key), ItemRow> _items = [];
    readonly List<LogRow> _log = [];
    RowWriter? _writer;

    RowWriter Writer => _writer ??= new RowWriter(dialect, w, name => name switch { "@v" => vault, "@d" => device, _ => now });

    /// <summary>Buffers an item's new row (replacing one this batch buffered for the same key).</summary>
    public void Item(ItemRow row) => _items[(row.Container, row.Key)] = row;

    /// <summary>Buffers a committed op's log row and idempotency key; writes the log rows when enough are buffered (SQLite).</summary>
    public Task LogAsync(LogRow row, CancellationToken ct)
    {
        _log.Add(row);
        return _log.Count >= LogFlushRows && !dialect.WritesRowArrays ? Writer.WriteAsync(LogRowSets(), null, ct) : Task.CompletedTask;
    }

    /// <summary>Writes the buffered item rows, so statements that read or change items see them.</summary>
    public Task FlushItemsAsync(CancellationToken ct) => _items.Count == 0 ? Task.CompletedTask : Writer.WriteAsync([ItemRowSet()], null, ct);

    /// <summary>Writes every buffered row and then <paramref name="after"/>: in one round trip where the dialect writes arrays.</summary>
    public Task WriteAllAsync(SqlStep? after, CancellationToken ct)
    {
        var sets = new List<RowSet>(3);
        if (_items.Count > 0) sets.Add(ItemRowSet());
        if (_log.Count > 0) sets.AddRange(LogRowSets());
        return Writer.WriteAsync(sets, after, ct);
    }

    // Row templates: '#' is the row's number in the statement; @v, @d and @t are shared by all rows.
    static readonly MultiRowInsert ItemsSql = new("items", "vault_id, container, path_key, path, kind, version, size, chunks, executable, mtime",
        "(@v, @c#, @k#, @p#, @n#, @s#, @z#, @h#, @x#, @m#)",
        """
         ON CONFLICT (vault_id, container, path_key) DO UPDATE SET path = excluded.path, kind = excluded.kind,
            version = excluded.version, size = excluded.size, chunks = excluded.chunks, executable = excluded.executable, mtime = excluded.mtime
        """, ["c", "k", "p", "n", "s", "z", "h", "x", "m"]);

    static readonly MultiRowInsert LogSql = new("change_log",
        "vault_id, seq, op_id, device_id, kind, container, path, path_key, new_path, new_path_key, size, chunks, executable, mtime, committed_at",
        "(@v, @s#, @o#, @d, @n#, @c#, @p#, @k#, @q#, @j#, @z#, @h#, @x#, @m#, @t)", "", ["s", "o", "n", "c", "p", "k", "q", "j", "z", "h", "x", "m"]);

    // The stored result of a committed op is always {"status":"committed","seq":N}: built by the database from the seq.
    // The digest says what the op was, so a reused op_id is told apart from a retry (decision 0316).
    static readonly MultiRowInsert KeysSql = new("idempotency_keys", "vault_id, device_id, op_id, seq, result, digest",
        """(@v, @d, @o#, @s#, '{"status":"committed","seq":' || @s# || '}', @g#)""", "", ["o", "s", "g"]);

    /// <summary>The buffered item rows, taken out of the buffer.</summary>
    RowSet ItemRowSet()
    {
        var rows = _items.Values.ToList();
        _items.Clear();
        return Writer.Rows(ItemsSql, rows, (row, ps, at) =>
        {
            ps[at] = row.Container; ps[at + 1] = row.Key; ps[at + 2] = row.Path; ps[at + 3] = row.Kind; ps[at + 4] = row.Version;
            ps[at + 5] = row.Size; ps[at + 6] = row.Chunks; ps[at + 7] = row.Executable; ps[at + 8] = row.Mtime;
        });
    }

    /// <summary>The buffered log rows and their idempotency keys, taken out of the buffer.</summary>
    RowSet[] LogRowSets()
    {
        var rows = _log.ToList();
        _log.Clear();
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
}

/// <summary>An item's row as a put or mkdir writes it (values in the dialect's representation).</summary>
internal sealed record ItemRow(string Container, string Key, string Path, string Kind, long Version, long? Size, string? Chunks, bool? Executable, object? Mtime);

/// <summary>A committed op's change-log row; with <see cref="Digest"/> also its idempotency key.</summary>
internal sealed record LogRow(long Seq, object OpId, string Kind, string Container, string Path, string Key, string? NewPath, string? NewKey,
    long? Size, string? Chunks, bool? Executable, object? Mtime, string Digest);
