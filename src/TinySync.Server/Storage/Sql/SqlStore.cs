using System.Data.Common;
using System.Text.Json;

namespace TinySync.Server.Storage.Sql;

/// <summary>
/// The one implementation of <see cref="IStore"/>'s rules, in portable SQL (ON CONFLICT, RETURNING, CTEs), over a
/// <see cref="SqlDialect"/> that supplies connections and value representations. Split by area into partial files.
/// </summary>
public partial class SqlStore : IStore, IAsyncDisposable
{
    /// <summary>Builds the store over a dialect; the store owns and disposes it.</summary>
    public SqlStore(SqlDialect dialect) => Dialect = dialect;

    /// <summary>The database dialect.</summary>
    public SqlDialect Dialect { get; }

    /// <inheritdoc />
    public Task MigrateAsync(CancellationToken ct) => Migrator.ApplyAsync(Dialect, ct);

    /// <inheritdoc />
    public async Task<bool> PingAsync(CancellationToken ct)
    {
        await using var c = await Dialect.OpenAsync(ct).ConfigureAwait(false);
        return await Sql.ScalarAsync(c, null, "SELECT 1", ct).ConfigureAwait(false) is not null;
    }

    /// <summary>Appends a row to the audit record inside the caller's transaction.</summary>
    protected Task AuditAsync(WriteScope w, DateTimeOffset now, string action, string target, object? detail, CancellationToken ct) =>
        Sql.ExecuteAsync(w.Connection, w.Transaction,
            "INSERT INTO audit_log (at, action, target, detail) VALUES (@at, @action, @target, @detail)", ct,
            ("@at", Dialect.Time(now)), ("@action", action), ("@target", target),
            ("@detail", detail is null ? null : JsonSerializer.Serialize(detail, Core.Json.TinySyncJson.Options)));

    /// <summary>Opens a read connection.</summary>
    protected ValueTask<DbConnection> ReadAsync(CancellationToken ct) => Dialect.OpenAsync(ct);

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return Dialect.DisposeAsync();
    }
}
