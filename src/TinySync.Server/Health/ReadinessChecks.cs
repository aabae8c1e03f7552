using Microsoft.Extensions.Diagnostics.HealthChecks;
using TinySync.Server.Blobs;
using TinySync.Server.Signals;
using TinySync.Server.Storage;

namespace TinySync.Server.Health;

/// <summary>The database answers and has its schema.</summary>
internal sealed class DatabaseCheck(IStore store, StorageReadiness readiness) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!readiness.Migrated) return HealthCheckResult.Unhealthy(readiness.Problem ?? "the database schema is not applied yet");
        try
        {
            return await store.PingAsync(cancellationToken).ConfigureAwait(false)
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy("the database gave no answer");
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"the database is not reachable ({FirstLine(e)})");
        }
    }

    internal static string FirstLine(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e.Message.Split('\n')[0].Trim();
    }
}

/// <summary>The chunk store takes a write.</summary>
internal sealed class ChunkStoreCheck(IChunkStore chunks) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await chunks.ProbeWriteAsync(cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"the chunk store cannot be written ({DatabaseCheck.FirstLine(e)})");
        }
    }
}

/// <summary>The PostgreSQL LISTEN connection is up, so hints of other nodes' commits reach this node's streams.</summary>
internal sealed class ListenerCheck(PostgresSignalBus bus) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(bus.IsListening
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy("the PostgreSQL listener is not connected; it reconnects by itself"));
}
