using System.Data.Common;
using Microsoft.Data.Sqlite;
using TinySync.Server.Storage.Sql;

namespace TinySync.Server.Storage.Sqlite;

/// <summary>
/// The embedded default: one SQLite file in WAL mode. Writers are serialized in-process (one writer at a time is
/// SQLite's model anyway) so they queue on a semaphore instead of spinning on SQLITE_BUSY. synchronous=FULL makes
/// every acknowledged commit survive power loss, not only a process crash.
/// </summary>
public sealed class SqliteDialect : SqlDialect
{
    readonly string _connectionString;
    readonly SemaphoreSlim _writer = new(1, 1);

    /// <summary>Opens (creating if needed) the database file at <paramref name="path"/>.</summary>
    public SqliteDialect(string path)
    {
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            ForeignKeys = true,
            DefaultTimeout = 30,
        }.ToString();
        using var c = new SqliteConnection(_connectionString);
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "PRAGMA journal_mode=WAL;";
        var mode = cmd.ExecuteScalar() as string;
        if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"SQLite at {path} refused WAL mode (got '{mode}'); put TINYSYNC_DATA_DIR on a local file system");
    }

    /// <inheritdoc />
    public override string Name => "sqlite";

    /// <inheritdoc />
    public override string MigrationResourcePrefix => "TinySync.Server.Storage.Sqlite.Migrations.";

    /// <inheritdoc />
    public override async ValueTask<DbConnection> OpenAsync(CancellationToken ct)
    {
        // Connections stay open in our own pool so their prepared statements (StatementCache) outlive a request:
        // compiling SQL was most of the cost of an authenticated request.
        if (_idle.TryTake(out var pooled))
        {
            Interlocked.Decrement(ref _idleCount);
            return pooled;
        }
        var c = new PooledSqliteConnection(_connectionString, this);
        try
        {
            await c.OpenAsync(ct).ConfigureAwait(false);
            using var pragma = c.CreateCommand();
            // Once per connection, which then lives in the pool: every write through it is durable (FULL).
            pragma.CommandText = "PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000;";
            await pragma.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            c.CloseForGood();
            throw;
        }
        StatementCache.Attach(c);
        return c;
    }

    const int MaxIdleConnections = 32;
    readonly System.Collections.Concurrent.ConcurrentBag<PooledSqliteConnection> _idle = [];
    int _idleCount;
    bool _disposed;

    /// <summary>Takes a connection back when its user disposes it; closes it when the pool is full or shut.</summary>
    internal bool TryReturn(PooledSqliteConnection connection)
    {
        if (_disposed || connection.State != System.Data.ConnectionState.Open) return false;
        if (Interlocked.Increment(ref _idleCount) > MaxIdleConnections)
        {
            Interlocked.Decrement(ref _idleCount);
            return false;
        }
        _idle.Add(connection);
        return true;
    }

    /// <summary>A connection whose Dispose returns it to the dialect's pool instead of closing it.</summary>
    internal sealed class PooledSqliteConnection(string connectionString, SqliteDialect owner) : SqliteConnection(connectionString)
    {
        SqliteStatements? _statements;

        /// <summary>The hot statements of this connection, driven through SQLite's C API (decision 0219).</summary>
        public SqliteStatements Statements => _statements ??= new SqliteStatements(this);

        protected override void Dispose(bool disposing)
        {
            if (disposing && owner.TryReturn(this)) return;
            Release();
            base.Dispose(disposing);
        }

        void Release()
        {
            _statements?.Release();
            _statements = null;
            StatementCache.Release(this);
        }

        public override ValueTask DisposeAsync()
        {
            Dispose(true);
            GC.SuppressFinalize(this);
            return ValueTask.CompletedTask;
        }

        /// <summary>Closes for real (pool shutdown).</summary>
        public void CloseForGood()
        {
            Release();
            base.Dispose(true);
        }
    }

    /// <inheritdoc />
    internal override Task EachRowAsync(DbConnection connection, string sql, string parameter, Guid id, Func<SqlRow, bool> row, CancellationToken ct)
    {
        if (connection is not PooledSqliteConnection pooled) return base.EachRowAsync(connection, sql, parameter, id, row, ct);
        ct.ThrowIfCancellationRequested();
        pooled.Statements.Each(sql, parameter, id, row); // SQLite reads are synchronous whatever the API says
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override async ValueTask<WriteScope> BeginWriteAsync(CancellationToken ct)
    {
        await _writer.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var c = await WriterAsync(ct).ConfigureAwait(false);
            SqliteTransaction tx;
            try
            {
                tx = c.BeginTransaction(deferred: false); // BEGIN IMMEDIATE
            }
            catch (InvalidOperationException)
            {
                // A scope whose rollback failed left the connection in a transaction: start over on a fresh one.
                c.CloseForGood();
                _writerConnection = null;
                c = await WriterAsync(ct).ConfigureAwait(false);
                tx = c.BeginTransaction(deferred: false);
            }
            return new WriteScope(c, tx, () => _writer.Release());
        }
        catch
        {
            _writer.Release();
            throw;
        }
    }

    // Writers are serialized, so one connection does all the writing (decision 0308). It keeps a larger page cache
    // than the readers: a commit updates leaves all over the item, log and idempotency B-trees (op ids are random),
    // and with SQLite's default 2 MiB cache most of them were read again from the file for every batch.
    WriterSqliteConnection? _writerConnection;
    const int WriterCacheKiB = 64 * 1024;

    async ValueTask<WriterSqliteConnection> WriterAsync(CancellationToken ct)
    {
        if (_writerConnection is { State: System.Data.ConnectionState.Open } open) return open;
        _writerConnection?.CloseForGood();
        _writerConnection = null;
        var c = new WriterSqliteConnection(_connectionString);
        try
        {
            await c.OpenAsync(ct).ConfigureAwait(false);
            using var pragma = c.CreateCommand();
            // Every write through it is durable (FULL), as on the pooled connections.
            pragma.CommandText = $"PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000; PRAGMA cache_size=-{WriterCacheKiB};";
            await pragma.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            c.CloseForGood();
            throw;
        }
        StatementCache.Attach(c);
        return _writerConnection = c;
    }

    /// <summary>The one write connection: disposing it (at the end of a write scope) keeps it open for the next.</summary>
    internal sealed class WriterSqliteConnection(string connectionString) : SqliteConnection(connectionString)
    {
        protected override void Dispose(bool disposing)
        {
            // kept open; CloseForGood closes it
        }

        public override ValueTask DisposeAsync()
        {
            GC.SuppressFinalize(this);
            return ValueTask.CompletedTask;
        }

        /// <summary>Closes for real (dialect shutdown, or after the connection broke).</summary>
        public void CloseForGood()
        {
            StatementCache.Release(this);
            base.Dispose(true);
        }
    }

    /// <inheritdoc />
    public override object Id(Guid id) => id.ToString("D");

    /// <inheritdoc />
    public override Guid ReadId(DbDataReader reader, int ordinal) => Guid.ParseExact(reader.GetString(ordinal), "D");

    /// <inheritdoc />
    public override string InList(string column, string parameter) => $"{column} IN (SELECT value FROM json_each({parameter}))";

    /// <inheritdoc />
    public override object TextList(IReadOnlyCollection<string> values) => System.Text.Json.JsonSerializer.Serialize(values, ListJson.Default.IReadOnlyCollectionString);

    /// <inheritdoc />
    public override object IdList(IReadOnlyCollection<Guid> values) => TextList(values.Select(v => v.ToString("D")).ToList());

    /// <inheritdoc />
    public override object Time(DateTimeOffset time) => (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    /// <inheritdoc />
    public override DateTimeOffset ReadTime(DbDataReader reader, int ordinal) => TimeFrom(reader.GetInt64(ordinal));

    /// <summary>A stored time (Unix microseconds, UTC) as a point in time.</summary>
    internal static DateTimeOffset TimeFrom(long unixMicroseconds) => new(DateTimeOffset.UnixEpoch.UtcTicks + unixMicroseconds * 10, TimeSpan.Zero);

    /// <inheritdoc />
    internal override Task<long> WriteLogRowsAsync(DbConnection connection, string sql, (string Name, object? Value)[] parameters, long after,
        System.Text.Json.Utf8JsonWriter json, System.IO.Pipelines.PipeWriter output, CancellationToken ct) =>
        SqliteLogRows.WriteAsync((SqliteConnection)connection, sql, parameters, after, json, output, ct);

    /// <inheritdoc />
    internal override RowStatement PrepareRows(WriteScope w, string sql, string[] names) =>
        new SqliteRowStatement((SqliteConnection)w.Connection, sql, names);

    /// <inheritdoc />
    public override bool IsTransient(Exception exception) =>
        exception is SqliteException { SqliteErrorCode: 5 or 6 or 10 or 13 or 14 }; // BUSY, LOCKED, IOERR, FULL, CANTOPEN

    /// <inheritdoc />
    public override bool IsUniqueViolation(Exception exception) =>
        exception is SqliteException { SqliteErrorCode: 19, SqliteExtendedErrorCode: 2067 or 1555 };

    /// <inheritdoc />
    public override ValueTask DisposeAsync()
    {
        _disposed = true;
        while (_idle.TryTake(out var c)) c.CloseForGood();
        _writerConnection?.CloseForGood();
        _writerConnection = null;
        SqliteConnection.ClearAllPools();
        _writer.Dispose();
        return base.DisposeAsync();
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(IReadOnlyCollection<string>))]
internal sealed partial class ListJson : System.Text.Json.Serialization.JsonSerializerContext;
