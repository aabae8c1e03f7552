using TinySync.Server.Hosting;
using TinySync.Server.Observability;
using TinySync.Server.Storage;

namespace TinySync.Server.Blobs;

/// <summary>
/// Collects unreferenced chunks every <see cref="TinySyncOptions.GcInterval"/> (hourly by default): registrations no
/// live item and no change within the retention window refers to, then physical chunks no vault registers. The rule
/// itself is <see cref="IStore.CollectGarbageAsync"/>, which tests call directly with an explicit time.
/// </summary>
public sealed class ChunkCollector(IStore store, IChunkStore blobs, TinySyncOptions options, TimeProvider clock, ILogger<ChunkCollector> log)
    : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.GcInterval <= TimeSpan.Zero) return;
        using var timer = new PeriodicTimer(options.GcInterval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                var report = await store.CollectGarbageAsync(clock.GetUtcNow(), options.HistoryRetention, blobs, stoppingToken).ConfigureAwait(false);
                if (report.RegistrationsRemoved + report.ChunksDeleted > 0) Log.ChunksCollected(log, report.RegistrationsRemoved, report.ChunksDeleted);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.CollectionFailed(log, e, options.GcInterval.TotalMinutes);
            }
        }
    }
}
