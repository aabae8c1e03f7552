using System.Globalization;
using Npgsql;
using TinySync.Server.Storage.Sql;

namespace TinySync.Server.Storage.Postgres;

/// <summary>
/// Opens the PostgreSQL store at start-up: waits a little for a database that is still starting (nodes and the
/// database often start together) and applies migrations under the advisory lock. A database still unreachable after
/// the wait is not fatal: the store comes back unmigrated and the node starts not ready (Health/DeferredMigration).
/// Every other failure (credentials, missing database, privileges) is one line that names TINYSYNC_DATABASE and says
/// what to check. The message never contains the password.
/// </summary>
public static class PostgresStartup
{
    /// <summary>
    /// Opens and migrates. Returns the store with <c>Migrated</c> false and the reason when PostgreSQL could not be
    /// reached within <paramref name="wait"/>; throws <see cref="InvalidOperationException"/> with an operator-facing
    /// message on a definite configuration error.
    /// </summary>
    public static async Task<(SqlStore Store, bool Migrated, string? Problem)> OpenAsync(string database, TimeSpan wait, CancellationToken ct)
    {
        var dialect = new PostgresDialect(PostgresSettings.Normalize(database));
        var store = new SqlStore(dialect);
        var deadline = DateTime.UtcNow + wait;
        while (true)
        {
            try
            {
                await store.MigrateAsync(ct).ConfigureAwait(false);
                return (store, true, null);
            }
            catch (Exception e) when (dialect.IsTransient(e) && DateTime.UtcNow < deadline && !ct.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), ct).ConfigureAwait(false);
            }
            catch (Exception e) when (dialect.IsTransient(e) && !ct.IsCancellationRequested)
            {
                return (store, false, Explain(e, dialect, wait));
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                var message = Explain(e, dialect, wait);
                await store.DisposeAsync().ConfigureAwait(false);
                throw new InvalidOperationException(message, e);
            }
        }
    }

    /// <summary>One operator-facing line for a failure to open or migrate; <paramref name="wait"/> null when retrying in the background.</summary>
    public static string Explain(Exception e, PostgresDialect dialect, TimeSpan? wait)
    {
        var where = dialect.Describe();
        var pg = e as PostgresException ?? e.InnerException as PostgresException;
        return pg?.SqlState switch
        {
            "28P01" or "28000" => $"TINYSYNC_DATABASE: PostgreSQL at {where} refused the credentials ({pg.MessageText}); check Username and Password",
            "3D000" => $"TINYSYNC_DATABASE: database does not exist at {where} ({pg.MessageText}); create it or fix Database",
            "42501" => $"TINYSYNC_DATABASE: the user lacks a privilege at {where} ({pg.MessageText}); the server's user must be able to create tables in its database",
            not null => $"TINYSYNC_DATABASE: PostgreSQL at {where} failed at start-up ({pg.SqlState}: {pg.MessageText})",
            null when dialect.IsTransient(e) => string.Create(CultureInfo.InvariantCulture,
                $"TINYSYNC_DATABASE: cannot reach PostgreSQL at {where}{(wait is { } w ? $" after {w.TotalSeconds:0} s" : "")} ({Innermost(e)}); check Host and Port and that the database is running"),
            null => $"TINYSYNC_DATABASE: cannot use PostgreSQL at {where} ({Innermost(e)})",
        };
    }

    static string Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e.Message.Split('\n')[0].Trim();
    }
}
