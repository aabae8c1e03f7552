using System.Data.Common;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;

namespace TinySync.Server.Storage.Sql;

/// <summary>
/// Applies the numbered migrations (<c>NNNN_name.sql</c>, embedded) of a dialect at start-up, each in its own
/// transaction, in order, once. Both databases carry the same sequence of numbers; see Storage/README.md.
/// </summary>
internal static partial class Migrator
{
    [GeneratedRegex(@"\.(?<num>\d{4})_(?<name>[a-z0-9_]+)\.sql$")]
    private static partial Regex MigrationName();

    public static IReadOnlyList<(int Version, string Name, string Resource)> Discover(SqlDialect dialect)
    {
        var asm = typeof(Migrator).Assembly;
        return asm.GetManifestResourceNames()
            .Where(n => n.StartsWith(dialect.MigrationResourcePrefix, StringComparison.Ordinal))
            .Select(n => (Match: MigrationName().Match(n), Resource: n))
            .Where(x => x.Match.Success)
            .Select(x => (int.Parse(x.Match.Groups["num"].Value, CultureInfo.InvariantCulture), x.Match.Groups["name"].Value, x.Resource))
            .OrderBy(x => x.Item1)
            .ToList();
    }

    public static async Task<int> ApplyAsync(SqlDialect dialect, CancellationToken ct)
    {
        var migrations = Discover(dialect);
        if (migrations.Count == 0)
            throw new InvalidOperationException($"no {dialect.Name} migrations are embedded in this build; it is broken, reinstall the server");
        var applied = 0;
        foreach (var (version, name, resource) in migrations)
        {
            await using var scope = await dialect.BeginWriteAsync(ct).ConfigureAwait(false);
            await dialect.LockForMigrationAsync(scope.Connection, scope.Transaction, ct).ConfigureAwait(false);
            await Sql.ExecuteAsync(scope.Connection, scope.Transaction,
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)", ct).ConfigureAwait(false);
            var done = await Sql.ScalarAsync(scope.Connection, scope.Transaction,
                "SELECT 1 FROM schema_migrations WHERE version = @v", ct, ("@v", version)).ConfigureAwait(false);
            if (done is not null) continue;
            await Sql.ExecuteAsync(scope.Connection, scope.Transaction, ReadResource(resource), ct).ConfigureAwait(false);
            await Sql.ExecuteAsync(scope.Connection, scope.Transaction,
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@v, @n, @a)", ct,
                ("@v", version), ("@n", name), ("@a", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture))).ConfigureAwait(false);
            await scope.CommitAsync(ct).ConfigureAwait(false);
            applied++;
        }
        return applied;
    }

    static string ReadResource(string name)
    {
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"migration resource {name} is missing");
        using var reader = new StreamReader(s);
        return reader.ReadToEnd();
    }
}
