using System.Globalization;
using Npgsql;
using TinySync.Server.Storage.Sql;

namespace TinySync.Server.Storage.Postgres;

/// <summary>
/// Opens the PostgreSQL store at start-up: waits a little for a database that is still starting (nodes and the
/// database often start together), applies migrations under the advisory lock, and turns every failure into one
/// line that names TINYSYNC_DATABASE and says what to check. The message never contains the password.
/// </summary>
public static class PostgresStartup
{
    /// <summary>Opens and migrates; throws <see cref="InvalidOperationException"/> with an operator-facing message.</summary>
    public static async Task<SqlStore> OpenAsync(string database, TimeSpan wait, CancellationToken ct)
    {
        var dialect = new PostgresDialect(PostgresSettings.Normalize(database));
        var store = new SqlStore(dialect);
        var deadline = DateTime.UtcNow + wait;
        while (true)
        {
            try
            {
                await store.MigrateAsync(ct).ConfigureAwait(false);
                return store;
            }
            catch (Exception e) when (dialect.IsTransient(e) && DateTime.UtcNow < deadline && !ct.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                var message = Explain(e, dialect, wait);
                await store.DisposeAsync().ConfigureAwait(false);
                throw new InvalidOperationException(message, e);
            }
        }
    }

    static string Explain(Exception e, PostgresDialect dialect, TimeSpan wait)
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
                $"TINYSYNC_DATABASE: cannot reach PostgreSQL at {where} after {wait.TotalSeconds:0} s ({Innermost(e)}); check Host and Port and that the database is running"),
            null => $"TINYSYNC_DATABASE: cannot use PostgreSQL at {where} ({Innermost(e)})",
        };
    }

    static string Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e.Message.Split('\n')[0].Trim();
    }
}
