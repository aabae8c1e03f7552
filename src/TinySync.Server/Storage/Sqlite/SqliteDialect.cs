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
    readonly SemaphoreSlim _writer = new(1, 1);
    readonly SqliteConnectionPool _pool;

    /// <summary>Opens (creating if needed) the database file at <paramref name="path"/>.</summary>
    public SqliteDialect(string path)
    {
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = false, // the dialect's own pool (SqliteConnectionPool) keeps connections open
            ForeignKeys = true,
            DefaultTimeout = 30,
        }.ToString();
        _pool = new SqliteConnectionPool(connectionString);
        using var c = new SqliteConnection(connectionString);
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
    public override async ValueTask<DbConnection> OpenAsync(CancellationToken ct) => await _pool.OpenAsync(ct).ConfigureAwait(false);

    /// <inheritdoc />
    internal override Task EachRowAsync(DbConnection connection, string sql, string parameter, Guid id, Func<SqlRow, bool> row, CancellationToken ct)
    {
        if (StatementCache.For(connection) is null) return base.EachRowAsync(connection, sql, parameter, id, row, ct);
        ct.ThrowIfCancellationRequested();
        using var lease = StatementCache.Rent(connection, sql, (c, text) => SqliteStatement.Prepare(c, text, [parameter]));
        lease.Statement.Each(id, row); // SQLite reads are synchronous whatever the API says
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override async ValueTask<WriteScope> BeginWriteAsync(CancellationToken ct)
    {
        await _writer.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var c = await _pool.WriterAsync(ct).ConfigureAwait(false);
            SqliteTransaction tx;
            try
            {
                tx = c.BeginTransaction(deferred: false); // BEGIN IMMEDIATE
            }
            catch (InvalidOperationException)
            {
                // A scope whose rollback failed left the connection in a transaction: start over on a fresh one.
                _pool.CloseWriter();
                c = await _pool.WriterAsync(ct).ConfigureAwait(false);
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
    internal override PreparedStatement PrepareRows(DbConnection connection, string sql, string[] names) =>
        SqliteStatement.Prepare(connection, sql, names);

    /// <inheritdoc />
    public override bool IsTransient(Exception exception) =>
        exception is SqliteException { SqliteErrorCode: 5 or 6 or 10 or 13 or 14 }; // BUSY, LOCKED, IOERR, FULL, CANTOPEN

    /// <inheritdoc />
    public override bool IsUniqueViolation(Exception exception) =>
        exception is SqliteException { SqliteErrorCode: 19, SqliteExtendedErrorCode: 2067 or 1555 };

    /// <inheritdoc />
    public override ValueTask DisposeAsync()
    {
        _pool.Dispose();
        _writer.Dispose();
        return base.DisposeAsync();
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(IReadOnlyCollection<string>))]
internal sealed partial class ListJson : System.Text.Json.Serialization.JsonSerializerContext;
