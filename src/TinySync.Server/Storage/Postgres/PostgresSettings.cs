using System.Globalization;
using Npgsql;

namespace TinySync.Server.Storage.Postgres;

/// <summary>
/// Reads <c>TINYSYNC_DATABASE</c>: an Npgsql connection string (<c>Host=…;Port=…;Username=…;Database=…</c>) or a
/// <c>postgres://user:password@host:port/database?option=value</c> URL, and fills in server defaults the operator
/// did not set: pool size, command and statement timeouts, keepalive, application name, automatic preparation, no reset on close.
/// </summary>
public static class PostgresSettings
{
    /// <summary>Connections per node unless <c>Maximum Pool Size</c> is given (PostgreSQL's default max_connections is 100).</summary>
    public const int DefaultMaxPoolSize = 30;

    /// <summary>Statements npgsql keeps prepared per connection unless <c>Max Auto Prepare</c> is given.</summary>
    public const int DefaultMaxAutoPrepare = 64;

    /// <summary>Seconds a statement may run before the server cancels it (and the client answers 503).</summary>
    public const int DefaultStatementTimeoutSeconds = 30;

    /// <summary>
    /// Returns an Npgsql connection string with TinySync's defaults applied. Throws <see cref="InvalidOperationException"/>
    /// naming TINYSYNC_DATABASE when the value cannot be read; the message never contains the password.
    /// </summary>
    public static string Normalize(string value)
    {
        NpgsqlConnectionStringBuilder b;
        var explicitKeys = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        try
        {
            if (value.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || value.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
            {
                b = FromUrl(value, explicitKeys);
            }
            else
            {
                b = new NpgsqlConnectionStringBuilder(value);
                var generic = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = value };
                foreach (string k in generic.Keys) explicitKeys.Add(k.Replace(" ", "", StringComparison.Ordinal));
            }
        }
        catch (Exception e) when (e is ArgumentException or FormatException or UriFormatException or KeyNotFoundException)
        {
            throw new InvalidOperationException(
                $"TINYSYNC_DATABASE is not a PostgreSQL connection string ({e.Message.Split('\n')[0]}); expected Host=…;Port=…;Username=…;Database=… or postgres://user@host:port/database");
        }
        if (string.IsNullOrWhiteSpace(b.Host))
            throw new InvalidOperationException("TINYSYNC_DATABASE names no host; expected Host=…;Port=…;Username=…;Database=… or postgres://user@host:port/database");

        if (!explicitKeys.Overlaps(["MaxPoolSize", "MaximumPoolSize"])) b.MaxPoolSize = DefaultMaxPoolSize;
        if (!explicitKeys.Overlaps(["CommandTimeout"])) b.CommandTimeout = DefaultStatementTimeoutSeconds + 5;
        if (!explicitKeys.Overlaps(["Timeout"])) b.Timeout = 5; // connect timeout: fail fast into a 503 while the database is down
        if (!explicitKeys.Overlaps(["KeepAlive"])) b.KeepAlive = 15;
        if (!explicitKeys.Overlaps(["ApplicationName"])) b.ApplicationName = "tinysync-server";
        // npgsql prepares a statement on a connection once it ran it a few times (decision 0506): PostgreSQL then
        // skips parsing and planning the commit's and the request path's statements.
        if (!explicitKeys.Overlaps(["MaxAutoPrepare"])) b.MaxAutoPrepare = DefaultMaxAutoPrepare;
        // A connection back in the pool is not reset (decision 0507): with prepared statements npgsql would otherwise
        // send seven reset statements (RESET ALL, UNLISTEN *, …) with the next use, up to three times per request.
        // TinySync sets nothing for a session: its settings are transaction-local (set_config(…, true)) or startup
        // options, and an open transaction is still rolled back on close.
        if (!explicitKeys.Overlaps(["NoResetOnClose"])) b.NoResetOnClose = true;
        if (!explicitKeys.Overlaps(["Options"]))
            b.Options = string.Create(CultureInfo.InvariantCulture, $"-c statement_timeout={DefaultStatementTimeoutSeconds * 1000}");
        return b.ConnectionString;
    }

    static NpgsqlConnectionStringBuilder FromUrl(string value, HashSet<string> explicitKeys)
    {
        var uri = new Uri(value);
        var b = new NpgsqlConnectionStringBuilder { Host = Uri.UnescapeDataString(uri.Host.Trim('[', ']')) };
        if (uri.Port > 0) b.Port = uri.Port;
        var path = uri.AbsolutePath.Trim('/');
        if (path.Length > 0) b.Database = Uri.UnescapeDataString(path);
        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            b.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2) b.Password = Uri.UnescapeDataString(parts[1]);
        }
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            var key = Uri.UnescapeDataString(kv[0]);
            var val = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : "";
            if (key.Equals("sslmode", StringComparison.OrdinalIgnoreCase)) key = "SSL Mode";
            b[key] = val;
            explicitKeys.Add(key.Replace(" ", "", StringComparison.Ordinal));
        }
        return b;
    }

    /// <summary><c>user@host:port/database</c> — what to show an operator; never the password.</summary>
    public static string Describe(string connectionString)
    {
        var b = new NpgsqlConnectionStringBuilder(connectionString);
        return string.Create(CultureInfo.InvariantCulture, $"{b.Username ?? "(default user)"}@{b.Host}:{b.Port}/{b.Database ?? "(default database)"}");
    }
}
