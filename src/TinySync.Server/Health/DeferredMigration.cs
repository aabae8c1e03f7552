using TinySync.Server.Observability;
using TinySync.Server.Storage.Postgres;
using TinySync.Server.Storage.Sql;

namespace TinySync.Server.Health;

/// <summary>
/// A node whose PostgreSQL was unreachable at start keeps running (not ready) and applies the migrations here as soon
/// as the database answers: orchestrators restart crashed processes, but a node that is up and says "not ready" is
/// what they expect, and it needs no restart when the database returns.
/// </summary>
public sealed class DeferredMigration(SqlStore store, StorageReadiness readiness, ILogger<DeferredMigration> log) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(500);
        while (!readiness.Migrated && !stoppingToken.IsCancellationRequested)
        {
            try
            {
                await store.MigrateAsync(stoppingToken).ConfigureAwait(false);
                readiness.MarkMigrated();
                Log.DatabaseReady(log);
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                var problem = PostgresStartup.Explain(e, (Storage.Postgres.PostgresDialect)store.Dialect, null);
                if (!string.Equals(problem, readiness.Problem, StringComparison.Ordinal)) Log.DatabaseNotReady(log, problem);
                readiness.Waiting(problem);
            }
            await Task.Delay(delay, stoppingToken).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5000));
        }
    }
}
