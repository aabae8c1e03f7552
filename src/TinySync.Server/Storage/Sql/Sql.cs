using System.Data.Common;
using System.Runtime.CompilerServices;

namespace TinySync.Server.Storage.Sql;

/// <summary>
/// Small ADO.NET helpers: statements with named parameters, written the same way for every dialect.
/// On connections a dialect keeps open across requests (see <see cref="StatementCache"/>), the helpers reuse one
/// prepared command per SQL text, so a hot query is compiled once per connection instead of once per request.
/// </summary>
internal static class Sql
{
    /// <summary>A fresh command the caller owns and disposes.</summary>
    public static DbCommand Command(DbConnection connection, DbTransaction? tx, string sql, params (string Name, object? Value)[] parameters)
    {
        var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        Bind(cmd, parameters);
        return cmd;
    }

    static void Bind(DbCommand cmd, (string Name, object? Value)[] parameters)
    {
        foreach (var (name, value) in parameters)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            p.Value = value ?? DBNull.Value;
            cmd.Parameters.Add(p);
        }
    }

    /// <summary>A command for one use: cached on statement-caching connections, fresh otherwise.</summary>
    static Lease Rent(DbConnection c, DbTransaction? tx, string sql, (string, object?)[] ps)
    {
        if (StatementCache.For(c) is not { } cache) return new Lease(Command(c, tx, sql, ps), null);
        if (!cache.TryTake(sql, out var cmd))
        {
            cmd = c.CreateCommand();
            cmd.CommandText = sql;
        }
        cmd.Transaction = tx;
        cmd.Parameters.Clear(); // the prepared statement survives; only the bindings change
        Bind(cmd, ps);
        return new Lease(cmd, cache);
    }

    internal readonly struct Lease(DbCommand command, StatementCache? cache) : IAsyncDisposable
    {
        public DbCommand Command => command;

        public ValueTask DisposeAsync()
        {
            if (cache is null) return command.DisposeAsync();
            command.Transaction = null;
            cache.Return(command);
            return ValueTask.CompletedTask;
        }
    }

    public static async Task<int> ExecuteAsync(DbConnection c, DbTransaction? tx, string sql, CancellationToken ct, params (string, object?)[] ps)
    {
        await using var lease = Rent(c, tx, sql, ps);
        return await lease.Command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public static async Task<object?> ScalarAsync(DbConnection c, DbTransaction? tx, string sql, CancellationToken ct, params (string, object?)[] ps)
    {
        await using var lease = Rent(c, tx, sql, ps);
        var v = await lease.Command.ExecuteScalarAsync(ct).ConfigureAwait(false);
        return v is DBNull ? null : v;
    }

    public static async Task<List<T>> ListAsync<T>(DbConnection c, DbTransaction? tx, string sql, Func<DbDataReader, T> map, CancellationToken ct, params (string, object?)[] ps)
    {
        await using var lease = Rent(c, tx, sql, ps);
        await using var r = await lease.Command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = new List<T>();
        while (await r.ReadAsync(ct).ConfigureAwait(false)) list.Add(map(r));
        return list;
    }

    public static async Task<T?> FirstOrDefaultAsync<T>(DbConnection c, DbTransaction? tx, string sql, Func<DbDataReader, T> map, CancellationToken ct, params (string, object?)[] ps)
        where T : class
    {
        await using var lease = Rent(c, tx, sql, ps);
        await using var r = await lease.Command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await r.ReadAsync(ct).ConfigureAwait(false) ? map(r) : null;
    }

    /// <summary>A reader the caller walks and disposes (with the command's lease).</summary>
    public static async Task<ReaderLease> ReaderAsync(DbConnection c, DbTransaction? tx, string sql, CancellationToken ct, params (string, object?)[] ps)
    {
        var lease = Rent(c, tx, sql, ps);
        try
        {
            return new ReaderLease(lease, await lease.Command.ExecuteReaderAsync(ct).ConfigureAwait(false));
        }
        catch
        {
            await lease.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>An open reader and the command it came from.</summary>
    internal readonly struct ReaderLease : IAsyncDisposable
    {
        readonly Lease _lease;

        internal ReaderLease(Lease lease, DbDataReader reader)
        {
            _lease = lease;
            Reader = reader;
        }

        public DbDataReader Reader { get; }

        public async ValueTask DisposeAsync()
        {
            await Reader.DisposeAsync().ConfigureAwait(false);
            await _lease.DisposeAsync().ConfigureAwait(false);
        }
    }

    public static string? NullableString(this DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    public static long? NullableInt64(this DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt64(i);
}

/// <summary>
/// Prepared commands of one long-lived connection, keyed by SQL text and bounded (SQLite prepared statements hold
/// memory and should stay few). A connection is used by one request at a time, so no locking is needed.
/// </summary>
internal sealed class StatementCache
{
    const int Capacity = 64;
    static readonly ConditionalWeakTable<DbConnection, StatementCache> Caches = new();
    readonly Dictionary<string, DbCommand> _idle = new(StringComparer.Ordinal);

    /// <summary>Gives <paramref name="connection"/> a statement cache for as long as it lives.</summary>
    public static void Attach(DbConnection connection) => Caches.AddOrUpdate(connection, new StatementCache());

    /// <summary>The cache of a connection, or null when the connection does not cache statements.</summary>
    public static StatementCache? For(DbConnection connection) => Caches.TryGetValue(connection, out var cache) ? cache : null;

    public bool TryTake(string sql, out DbCommand command)
    {
        if (_idle.Remove(sql, out var cmd)) { command = cmd; return true; }
        command = null!;
        return false;
    }

    public void Return(DbCommand command)
    {
        // A nested use of the same SQL (rare) leaves one copy behind; the extra one is simply disposed.
        if (_idle.Count >= Capacity || !_idle.TryAdd(command.CommandText, command)) command.Dispose();
    }

    /// <summary>Disposes every cached command (before the connection itself closes).</summary>
    public static void Release(DbConnection connection)
    {
        if (!Caches.TryGetValue(connection, out var cache)) return;
        foreach (var cmd in cache._idle.Values) cmd.Dispose();
        cache._idle.Clear();
        Caches.Remove(connection);
    }
}
