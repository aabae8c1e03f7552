using System.Collections.Concurrent;
using System.Data;
using Microsoft.Data.Sqlite;
using TinySync.Server.Storage.Sql;

namespace TinySync.Server.Storage.Sqlite;

/// <summary>
/// The open connections of one SQLite database: readers kept open between requests (so their prepared statements,
/// <see cref="StatementCache"/>, outlive a request: compiling SQL was most of the cost of an authenticated request) and
/// the one write connection (writers are serialized, decision 0308). Microsoft.Data.Sqlite's own pool is off: closing a
/// connection here closes the file, and <see cref="Dispose"/> closes every connection this pool opened — the idle ones
/// at once, the ones in use when their user gives them back.
/// </summary>
internal sealed class SqliteConnectionPool(string connectionString) : IDisposable
{
    const int MaxIdleConnections = 32;

    // The write connection keeps a larger page cache than the readers: a commit updates leaves all over the item, log
    // and idempotency B-trees (op ids are random), and with SQLite's default 2 MiB cache most of them were read again
    // from the file for every batch.
    const int WriterCacheKiB = 64 * 1024;

    readonly ConcurrentBag<PooledSqliteConnection> _idle = [];
    int _idleCount;
    volatile bool _disposed;
    WriterSqliteConnection? _writer;

    /// <summary>An open read connection: a pooled one, or a new one.</summary>
    public async ValueTask<SqliteConnection> OpenAsync(CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_idle.TryTake(out var pooled))
        {
            Interlocked.Decrement(ref _idleCount);
            return pooled;
        }
        var c = new PooledSqliteConnection(connectionString, this);
        // Once per connection, which then lives in the pool: every write through it is durable (FULL).
        await OpenAsync(c, "PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000;", ct).ConfigureAwait(false);
        return c;
    }

    /// <summary>The write connection, opened on first use and after it broke. Only called by the one writer at a time.</summary>
    public async ValueTask<WriterSqliteConnection> WriterAsync(CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_writer is { State: ConnectionState.Open } open) return open;
        CloseWriter();
        var c = new WriterSqliteConnection(connectionString);
        // Every write through it is durable (FULL), as on the pooled connections.
        await OpenAsync(c, $"PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000; PRAGMA cache_size=-{WriterCacheKiB};", ct).ConfigureAwait(false);
        return _writer = c;
    }

    /// <summary>Closes the write connection (after a failed rollback left it in a transaction); the next writer opens another.</summary>
    public void CloseWriter()
    {
        _writer?.CloseForGood();
        _writer = null;
    }

    static async Task OpenAsync<T>(T c, string pragmas, CancellationToken ct) where T : SqliteConnection, IClosable
    {
        try
        {
            await c.OpenAsync(ct).ConfigureAwait(false);
            using var pragma = c.CreateCommand();
            pragma.CommandText = pragmas;
            await pragma.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            c.CloseForGood();
            throw;
        }
        StatementCache.Attach(c);
    }

    /// <summary>Takes a connection back when its user disposes it; false (close it) when the pool is full or shut.</summary>
    bool TryReturn(PooledSqliteConnection connection)
    {
        if (_disposed || connection.State != ConnectionState.Open) return false;
        if (Interlocked.Increment(ref _idleCount) > MaxIdleConnections)
        {
            Interlocked.Decrement(ref _idleCount);
            return false;
        }
        _idle.Add(connection);
        // Disposed meanwhile: whoever drains second closes it.
        if (_disposed && _idle.TryTake(out var late)) late.CloseForGood();
        return true;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _disposed = true;
        while (_idle.TryTake(out var c))
        {
            Interlocked.Decrement(ref _idleCount);
            c.CloseForGood();
        }
        CloseWriter();
    }

    internal interface IClosable
    {
        /// <summary>Finalizes the connection's statements and closes it for real.</summary>
        void CloseForGood();
    }

    /// <summary>A read connection whose Dispose gives it back to the pool instead of closing it.</summary>
    internal sealed class PooledSqliteConnection(string connectionString, SqliteConnectionPool owner) : SqliteConnection(connectionString), IClosable
    {
        protected override void Dispose(bool disposing)
        {
            if (disposing && owner.TryReturn(this)) return;
            StatementCache.Release(this);
            base.Dispose(disposing);
        }

        public override ValueTask DisposeAsync()
        {
            Dispose(true);
            GC.SuppressFinalize(this);
            return ValueTask.CompletedTask;
        }

        public void CloseForGood()
        {
            StatementCache.Release(this);
            base.Dispose(true);
        }
    }

    /// <summary>The one write connection: disposing it (at the end of a write scope) keeps it open for the next.</summary>
    internal sealed class WriterSqliteConnection(string connectionString) : SqliteConnection(connectionString), IClosable
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

        public void CloseForGood()
        {
            StatementCache.Release(this);
            base.Dispose(true);
        }
    }
}
