using System.Data.Common;

namespace TinySync.Server.Storage.Sql;

/// <summary>
/// What differs between the SQL databases TinySync runs on: connections, write transactions, and how ids and
/// times are represented. Everything else — the statements and the rules — lives once, in <see cref="SqlStore"/>.
/// </summary>
public abstract class SqlDialect : IAsyncDisposable
{
    /// <summary>Short name for logs and metrics: <c>sqlite</c> or <c>postgres</c>.</summary>
    public abstract string Name { get; }

    /// <summary>Prefix of the embedded numbered migration scripts for this dialect.</summary>
    public abstract string MigrationResourcePrefix { get; }

    /// <summary>Opens a pooled connection ready for statements.</summary>
    public abstract ValueTask<DbConnection> OpenAsync(CancellationToken ct);

    /// <summary>
    /// Opens a write transaction. SQLite serializes writers in-process and takes the write lock up front
    /// (BEGIN IMMEDIATE), so writers queue instead of failing with SQLITE_BUSY; PostgreSQL relies on row locks.
    /// </summary>
    public abstract ValueTask<WriteScope> BeginWriteAsync(CancellationToken ct);

    /// <summary>Serializes migrations across processes sharing the database (PostgreSQL advisory lock).</summary>
    public virtual Task LockForMigrationAsync(DbConnection connection, DbTransaction tx, CancellationToken ct) => Task.CompletedTask;

    /// <summary>Suffix that row-locks what a SELECT read, inside a write transaction.</summary>
    public virtual string ForUpdate => "";

    /// <summary>Suffix that share-locks what a SELECT read (others may read it, not change it until the transaction ends).</summary>
    public virtual string ForShare => "";

    /// <summary>A UUID as a parameter value.</summary>
    public abstract object Id(Guid id);

    /// <summary>Reads a UUID column.</summary>
    public abstract Guid ReadId(DbDataReader reader, int ordinal);

    /// <summary>
    /// SQL that is true when <paramref name="column"/> equals one of the values of a list bound as the single
    /// parameter <paramref name="parameter"/> (see <see cref="TextList"/> and <see cref="IdList"/>). One parameter
    /// instead of one per value keeps the statement text fixed, so it is prepared once whatever the list's length.
    /// </summary>
    public abstract string InList(string column, string parameter);

    /// <summary>A list of strings as the value of an <see cref="InList"/> parameter.</summary>
    public abstract object TextList(IReadOnlyCollection<string> values);

    /// <summary>A list of UUIDs as the value of an <see cref="InList"/> parameter.</summary>
    public abstract object IdList(IReadOnlyCollection<Guid> values);

    /// <summary>A point in time as a parameter value.</summary>
    public abstract object Time(DateTimeOffset time);

    /// <summary>Reads a time column.</summary>
    public abstract DateTimeOffset ReadTime(DbDataReader reader, int ordinal);

    /// <summary>
    /// Runs a read-only query whose one parameter, <paramref name="parameter"/>, is the id <paramref name="id"/>,
    /// and hands every row to <paramref name="row"/> until it returns false. For the statements of every
    /// authenticated request (credential, <c>/v1/me</c>); a dialect may read them without ADO.NET's per-column cost.
    /// </summary>
    internal virtual async Task EachRowAsync(DbConnection connection, string sql, string parameter, Guid id, Func<SqlRow, bool> row, CancellationToken ct)
    {
        await using var lease = await Sql.ReaderAsync(connection, null, sql, ct, (parameter, Id(id))).ConfigureAwait(false);
        var current = new ReaderRow(lease.Reader, this);
        while (await lease.Reader.ReadAsync(ct).ConfigureAwait(false))
        {
            if (!row(current)) break;
        }
    }

    /// <summary>True when the failure means "the database is unreachable right now" (answered with 503).</summary>
    public abstract bool IsTransient(Exception exception);

    /// <summary>True when the failure is a unique-key violation.</summary>
    public abstract bool IsUniqueViolation(Exception exception);

    /// <summary>
    /// Runs a change-log query (columns in <see cref="LogJson.WriteRow"/>'s order) and writes each row to
    /// <paramref name="json"/>, flushing to <paramref name="output"/> as the buffer fills; returns the last seq
    /// written, or <paramref name="after"/> when there was none. SQLite overrides it to read the columns without
    /// the ADO.NET reader (decision 0313); the bytes written are the same.
    /// </summary>
    internal virtual async Task<long> WriteLogRowsAsync(DbConnection connection, string sql, (string Name, object? Value)[] parameters, long after,
        System.Text.Json.Utf8JsonWriter json, System.IO.Pipelines.PipeWriter output, CancellationToken ct)
    {
        await using var rows = await Sql.ReaderAsync(connection, null, sql, ct, parameters).ConfigureAwait(false);
        var r = rows.Reader;
        var last = after;
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            last = r.GetInt64(0);
            LogJson.WriteRow(json, this, r, last);
            if (json.BytesPending >= LogJson.FlushBytes)
            {
                json.Flush();
                await output.FlushAsync(ct).ConfigureAwait(false);
            }
        }
        return last;
    }

    /// <summary>
    /// Prepares a statement a write transaction runs many times with all of its parameters set each time, in the
    /// order of <paramref name="names"/> (the multi-row INSERTs of a commit). The default is a command with named
    /// parameters; SQLite overrides it to bind by position (decision 0313).
    /// </summary>
    internal virtual PreparedStatement PrepareRows(DbConnection connection, string sql, string[] names) => new CommandStatement(connection, sql, names);

    /// <summary>
    /// True when the dialect writes a commit's rows as arrays, any number of rows per table in one statement, with
    /// <see cref="WriteRowArraysAsync"/> (PostgreSQL, decision 0505); false to write them as multi-row INSERTs
    /// prepared with <see cref="PrepareRows"/>.
    /// </summary>
    internal virtual bool WritesRowArrays => false;

    /// <summary>
    /// Writes every set's rows, one statement per set, then runs <paramref name="after"/>, all in one round trip.
    /// Only called when <see cref="WritesRowArrays"/> is true.
    /// </summary>
    internal virtual Task WriteRowArraysAsync(WriteScope w, IReadOnlyList<RowSet> sets, SqlStep? after, CancellationToken ct) =>
        throw new NotSupportedException($"the {Name} dialect writes rows as multi-row statements");

    /// <summary>
    /// A statement that makes the rest of a write transaction plan every statement for its actual parameters, sent
    /// first by commits of many ops; null where statements are not kept prepared. PostgreSQL: npgsql's automatic
    /// preparation lets the server reuse a generic plan, which saves planning a single op's statements but served
    /// the array statements of a 1,000-op batch badly (decision 0506).
    /// </summary>
    internal virtual SqlQuery? PlanEachStatement => null;

    /// <summary>
    /// Runs independent read queries inside a write transaction and hands each one's rows to its callback, in order.
    /// The default runs them one after the other; PostgreSQL sends them in one round trip (decision 0505).
    /// </summary>
    internal virtual async Task QueryAllAsync(WriteScope w, IReadOnlyList<SqlQuery> queries, CancellationToken ct)
    {
        foreach (var q in queries) await Sql.EachAsync(w.Connection, w.Transaction, q.Sql, q.Row, ct, q.Parameters).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}

/// <summary>An open write transaction with its connection; disposing without <see cref="CommitAsync"/> rolls back.</summary>
public sealed class WriteScope : IAsyncDisposable
{
    readonly Action? _release;
    bool _disposed;

    /// <summary>Wraps an open connection and transaction; <paramref name="release"/> runs after disposal.</summary>
    public WriteScope(DbConnection connection, DbTransaction transaction, Action? release)
    {
        Connection = connection;
        Transaction = transaction;
        _release = release;
    }

    /// <summary>The connection.</summary>
    public DbConnection Connection { get; }

    /// <summary>The transaction.</summary>
    public DbTransaction Transaction { get; }

    /// <summary>Commits; durable when this returns.</summary>
    public Task CommitAsync(CancellationToken ct) => Transaction.CommitAsync(ct);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            await Transaction.DisposeAsync().ConfigureAwait(false);
            await Connection.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            _release?.Invoke();
        }
    }
}

/// <summary>A read query for <see cref="SqlDialect.QueryAllAsync"/>: its text, parameters and what to do with each row.</summary>
internal sealed record SqlQuery(string Sql, (string Name, object? Value)[] Parameters, Action<DbDataReader> Row);
