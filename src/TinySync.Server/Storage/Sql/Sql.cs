using System.Data.Common;

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
        var lease = StatementCache.Rent(c, sql, static (connection, text) => new CommandStatement(connection, text, []));
        lease.Statement.Bind(tx, ps);
        return new Lease(lease);
    }

    internal readonly struct Lease(StatementCache.Lease<CommandStatement> lease) : IAsyncDisposable
    {
        public DbCommand Command => lease.Statement.Command;

        public ValueTask DisposeAsync()
        {
            Command.Transaction = null;
            lease.Dispose();
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

    /// <summary>Runs a query and hands every row to <paramref name="row"/>, for answers assembled from several row kinds.</summary>
    public static async Task EachAsync(DbConnection c, DbTransaction? tx, string sql, Action<DbDataReader> row, CancellationToken ct, params (string, object?)[] ps)
    {
        await using var lease = Rent(c, tx, sql, ps);
        await using var r = await lease.Command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false)) row(r);
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
