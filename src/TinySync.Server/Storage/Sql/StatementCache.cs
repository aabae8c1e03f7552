using System.Data.Common;
using System.Runtime.CompilerServices;

namespace TinySync.Server.Storage.Sql;

/// <summary>
/// The prepared statements of one long-lived connection, keyed by SQL text and bounded (as npgsql's
/// <c>PreparedStatementManager</c> is per connector): the one statement cache of the storage layer. The portable
/// helpers (<see cref="Sql"/>), the commit's row inserts (<see cref="RowWriter"/>) and SQLite's hot statements all
/// rent from it. A statement is taken out while in use and given back after, so a nested use of the same text gets
/// a statement of its own. A connection is used by one request at a time, so nothing here locks. Connections without
/// a cache (PostgreSQL's, which npgsql pools and prepares itself) get a fresh statement per use.
/// </summary>
internal sealed class StatementCache
{
    // SQLite prepared statements hold memory and should stay few; the server runs a few dozen distinct texts.
    const int Capacity = 64;
    static readonly ConditionalWeakTable<DbConnection, StatementCache> Caches = new();

    // Looked up by reference first: the callers pass constant texts, and hashing a statement of a thousand characters
    // on every request cost more than the lookup saves (decision 0219). Both maps hold the same idle statements.
    readonly Dictionary<string, PreparedStatement> _byReference = new(ReferenceEqualityComparer.Instance);
    readonly Dictionary<string, PreparedStatement> _byText = new(StringComparer.Ordinal);
    bool _released;

    /// <summary>Gives <paramref name="connection"/> a statement cache for as long as it lives.</summary>
    public static void Attach(DbConnection connection) => Caches.AddOrUpdate(connection, new StatementCache());

    /// <summary>The cache of a connection, or null when the connection does not cache statements.</summary>
    public static StatementCache? For(DbConnection connection) => Caches.TryGetValue(connection, out var cache) ? cache : null;

    /// <summary>Idle statements held (for tests).</summary>
    internal int Count => _byText.Count;

    /// <summary>
    /// A statement for <paramref name="sql"/> on <paramref name="connection"/>: the cached one when it is idle, else
    /// one from <paramref name="prepare"/>. Dispose the lease to give it back (or to dispose it, when not cached).
    /// </summary>
    public static Lease<T> Rent<T>(DbConnection connection, string sql, Func<DbConnection, string, T> prepare) where T : PreparedStatement
    {
        var cache = For(connection);
        if (cache is not null && cache.TryTake(sql, out T? idle)) return new Lease<T>(idle, cache);
        return new Lease<T>(prepare(connection, sql), cache);
    }

    bool TryTake<T>(string sql, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out T? statement) where T : PreparedStatement
    {
        if ((_byReference.TryGetValue(sql, out var found) || _byText.TryGetValue(sql, out found)) && found is T typed)
        {
            _byReference.Remove(found.Sql);
            _byText.Remove(found.Sql);
            statement = typed;
            return true;
        }
        statement = null;
        return false;
    }

    void Return(PreparedStatement statement)
    {
        // Full, released, or a second copy of a text in use twice at once: the extra one is simply disposed.
        if (_released || _byText.Count >= Capacity || !_byText.TryAdd(statement.Sql, statement))
        {
            statement.Dispose();
            return;
        }
        _byReference[statement.Sql] = statement;
    }

    /// <summary>Disposes every cached statement (before the connection itself closes); statements in use are disposed when given back.</summary>
    public static void Release(DbConnection connection)
    {
        if (!Caches.TryGetValue(connection, out var cache)) return;
        cache._released = true;
        foreach (var statement in cache._byText.Values) statement.Dispose();
        cache._byText.Clear();
        cache._byReference.Clear();
        Caches.Remove(connection);
    }

    /// <summary>A statement in use: disposing gives it back to its cache, or disposes it when there is none.</summary>
    internal readonly struct Lease<T>(T statement, StatementCache? cache) : IDisposable where T : PreparedStatement
    {
        public T Statement => statement;

        public void Dispose()
        {
            if (cache is null) statement.Dispose();
            else cache.Return(statement);
        }
    }
}
