using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Dapper;
using Microsoft.Data.Sqlite;

namespace PlatformService.Catalog;

/// <summary>
/// The playground's SQLite file (WAL mode) and its numbered migrations (<c>Catalog/Migrations/NNNN_name.sql</c>,
/// embedded, each applied once in its own transaction). Writers queue on one semaphore, SQLite's own model.
/// </summary>
public sealed partial class CatalogDb
{
    readonly string _connectionString;
    readonly SemaphoreSlim _writer = new(1, 1);

    static CatalogDb() => DefaultTypeMap.MatchNamesWithUnderscores = true;

    /// <summary>Opens (creating if needed) <c>catalog.db</c> in <paramref name="dataDir"/>.</summary>
    public CatalogDb(string dataDir)
    {
        Directory.CreateDirectory(dataDir);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(dataDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Path = System.IO.Path.Combine(dataDir, "catalog.db");
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            ForeignKeys = true,
            DefaultTimeout = 30,
        }.ToString();
        using var c = new SqliteConnection(_connectionString);
        c.Open();
        var mode = c.ExecuteScalar<string>("PRAGMA journal_mode=WAL;");
        if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"SQLite at {Path} refused WAL mode (got '{mode}'); put the data dir on a local file system");
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>Now, in the stored form (ISO 8601 UTC).</summary>
    public static string Now() => DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);

    /// <summary>A read on its own connection (WAL: readers never wait for the writer).</summary>
    public async Task<T> ReadAsync<T>(Func<SqliteConnection, Task<T>> read, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct).ConfigureAwait(false);
        return await read(c).ConfigureAwait(false);
    }

    /// <summary>A write transaction; committed when <paramref name="write"/> returns.</summary>
    public async Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> write, CancellationToken ct)
    {
        await _writer.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await using var c = await OpenAsync(ct).ConfigureAwait(false);
            await using var tx = (SqliteTransaction)await c.BeginTransactionAsync(ct).ConfigureAwait(false);
            var result = await write(c, tx).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
            return result;
        }
        finally
        {
            _writer.Release();
        }
    }

    /// <summary>A write transaction without a result.</summary>
    public Task WriteAsync(Func<SqliteConnection, SqliteTransaction, Task> write, CancellationToken ct) =>
        WriteAsync<bool>(async (c, tx) => { await write(c, tx).ConfigureAwait(false); return true; }, ct);

    async Task<SqliteConnection> OpenAsync(CancellationToken ct)
    {
        var c = new SqliteConnection(_connectionString);
        await c.OpenAsync(ct).ConfigureAwait(false);
        await c.ExecuteAsync("PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000;").ConfigureAwait(false);
        return c;
    }

    [GeneratedRegex(@"\.(?<num>\d{4})_(?<name>[a-z0-9_]+)\.sql$")]
    private static partial Regex MigrationName();

    /// <summary>Applies the embedded migrations not applied yet; returns how many ran.</summary>
    public async Task<int> MigrateAsync(CancellationToken ct)
    {
        var asm = Assembly.GetExecutingAssembly();
        var migrations = asm.GetManifestResourceNames()
            .Select(n => (Match: MigrationName().Match(n), Resource: n))
            .Where(x => x.Match.Success && x.Resource.Contains(".Catalog.Migrations.", StringComparison.Ordinal))
            .Select(x => (Version: int.Parse(x.Match.Groups["num"].Value, CultureInfo.InvariantCulture), Name: x.Match.Groups["name"].Value, x.Resource))
            .OrderBy(x => x.Version)
            .ToList();
        var applied = 0;
        foreach (var (version, name, resource) in migrations)
        {
            var ran = await WriteAsync(async (c, tx) =>
            {
                await c.ExecuteAsync("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
                    transaction: tx).ConfigureAwait(false);
                if (await c.ExecuteScalarAsync<long?>("SELECT 1 FROM schema_migrations WHERE version = @version", new { version }, tx).ConfigureAwait(false) is not null)
                    return false;
                await using var s = asm.GetManifestResourceStream(resource)!;
                using var reader = new StreamReader(s);
                await c.ExecuteAsync(await reader.ReadToEndAsync(ct).ConfigureAwait(false), transaction: tx).ConfigureAwait(false);
                await c.ExecuteAsync("INSERT INTO schema_migrations (version, name, applied_at) VALUES (@version, @name, @at)",
                    new { version, name, at = Now() }, tx).ConfigureAwait(false);
                return true;
            }, ct).ConfigureAwait(false);
            if (ran) applied++;
        }
        return applied;
    }
}
