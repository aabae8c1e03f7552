using System.Data;
using System.Data.Common;
using System.Net.Sockets;
using Npgsql;
using TinySync.Server.Storage.Sql;
using SqlHelpers = TinySync.Server.Storage.Sql.Sql;

namespace TinySync.Server.Storage.Postgres;

/// <summary>
/// PostgreSQL for several stateless server nodes. One pooled <see cref="NpgsqlDataSource"/> per node; writers run in
/// READ COMMITTED transactions and serialize on row locks (<c>SELECT … FOR UPDATE</c>, <c>UPDATE … RETURNING</c>), so
/// per-vault sequence allocation is dense across nodes. Ids are <c>uuid</c>, times <c>timestamptz</c> (microseconds).
/// </summary>
public sealed class PostgresDialect : SqlDialect
{
    /// <summary>Advisory lock key that serializes migrations across nodes starting at once ("TinySync" in ASCII).</summary>
    public const long MigrationLockKey = 0x54696E7953796E63;

    readonly NpgsqlDataSource _dataSource;
    readonly PostgresRowArrays _rowArrays = new();

    /// <summary>Builds the dialect over a normalized connection string (see <see cref="PostgresSettings.Normalize"/>).</summary>
    public PostgresDialect(string connectionString)
    {
        ConnectionString = connectionString;
        _dataSource = new NpgsqlDataSourceBuilder(connectionString).Build();
    }

    /// <summary>The connection string in use (contains the password, if any: never log it; log <see cref="Describe"/>).</summary>
    public string ConnectionString { get; }

    /// <summary>Host, port, database and user, without the password: for logs and error messages.</summary>
    public string Describe() => PostgresSettings.Describe(ConnectionString);

    /// <inheritdoc />
    public override string Name => "postgres";

    /// <inheritdoc />
    public override string MigrationResourcePrefix => "TinySync.Server.Storage.Postgres.Migrations.";

    /// <inheritdoc />
    public override async ValueTask<DbConnection> OpenAsync(CancellationToken ct) =>
        await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);

    /// <inheritdoc />
    public override async ValueTask<WriteScope> BeginWriteAsync(CancellationToken ct)
    {
        var c = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        try
        {
            var tx = await c.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct).ConfigureAwait(false);
            return new WriteScope(c, tx, null);
        }
        catch
        {
            await c.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    public override Task LockForMigrationAsync(DbConnection connection, DbTransaction tx, CancellationToken ct) =>
        SqlHelpers.ExecuteAsync(connection, tx, "SELECT pg_advisory_xact_lock(@k)", ct, ("@k", MigrationLockKey));

    /// <inheritdoc />
    public override string ForUpdate => " FOR UPDATE";

    /// <inheritdoc />
    public override string ForShare => " FOR SHARE";

    /// <inheritdoc />
    public override object Id(Guid id) => id;

    /// <inheritdoc />
    public override Guid ReadId(DbDataReader reader, int ordinal) => reader.GetGuid(ordinal);

    /// <inheritdoc />
    public override string InList(string column, string parameter) => $"{column} = ANY({parameter})";

    /// <inheritdoc />
    public override object TextList(IReadOnlyCollection<string> values) => values.ToArray();

    /// <inheritdoc />
    public override object IdList(IReadOnlyCollection<Guid> values) => values.ToArray();

    /// <inheritdoc />
    public override object Time(DateTimeOffset time) => time.UtcDateTime;

    /// <inheritdoc />
    public override DateTimeOffset ReadTime(DbDataReader reader, int ordinal) =>
        new(DateTime.SpecifyKind(reader.GetFieldValue<DateTime>(ordinal), DateTimeKind.Utc));

    /// <inheritdoc />
    public override bool IsTransient(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case PostgresException pg:
                    if (IsConnectionLoss(pg.SqlState)) _dataSource.Clear(); // idle pooled connections died with the server
                    return IsTransientState(pg.SqlState);
                case NpgsqlException { IsTransient: true }:
                case SocketException:
                case IOException:
                case TimeoutException:
                    _dataSource.Clear();
                    return true;
            }
        }
        return false;
    }

    /// <summary>SQLSTATEs that mean "unavailable right now; the same request can succeed later".</summary>
    public static bool IsTransientState(string sqlState) =>
        IsConnectionLoss(sqlState)
        || sqlState is "53300" // too_many_connections
            or "40001" or "40P01" // serialization failure, deadlock: retryable by the client
            or "57014" // query_canceled (statement_timeout): overloaded
            or "55P03"; // lock_not_available

    static bool IsConnectionLoss(string sqlState) =>
        sqlState is "57P01" or "57P02" or "57P03" // admin/crash shutdown, cannot connect now (starting up)
        || sqlState.StartsWith("08", StringComparison.Ordinal); // connection exceptions

    /// <inheritdoc />
    internal override bool WritesRowArrays => true;

    /// <inheritdoc />
    internal override SqlQuery? PlanEachStatement { get; } =
        new("SELECT set_config('plan_cache_mode', 'force_custom_plan', true)", [], _ => { });

    /// <inheritdoc />
    internal override Task WriteRowArraysAsync(WriteScope w, IReadOnlyList<RowSet> sets, SqlStep? after, CancellationToken ct) =>
        _rowArrays.WriteAsync(w, sets, after, ct);

    /// <inheritdoc />
    internal override async Task QueryAllAsync(WriteScope w, IReadOnlyList<SqlQuery> queries, CancellationToken ct)
    {
        if (queries.Count == 0) return;
        await using var batch = new NpgsqlBatch((NpgsqlConnection)w.Connection, (NpgsqlTransaction)w.Transaction);
        foreach (var q in queries)
        {
            var command = new NpgsqlBatchCommand(q.Sql);
            foreach (var (name, value) in q.Parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
            batch.BatchCommands.Add(command);
        }
        await using var r = await batch.ExecuteReaderAsync(ct).ConfigureAwait(false);
        for (var i = 0; i < queries.Count; i++)
        {
            if (i > 0 && !await r.NextResultAsync(ct).ConfigureAwait(false)) throw new InvalidOperationException("a batched query returned no result set");
            while (await r.ReadAsync(ct).ConfigureAwait(false)) queries[i].Row(r);
        }
    }

    /// <inheritdoc />
    public override bool IsUniqueViolation(Exception exception) => exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        await _dataSource.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
