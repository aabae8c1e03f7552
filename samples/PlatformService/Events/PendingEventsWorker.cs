using PlatformService.Hosting;

namespace PlatformService.Events;

/// <summary>Replays pending events every <see cref="PlatformOptions.RetryInterval"/> until TinySync takes them.</summary>
public sealed partial class PendingEventsWorker(EventProcessor processor, PlatformOptions options, ILogger<PendingEventsWorker> log) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.RetryInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                var applied = await processor.RetryPendingAsync(stoppingToken).ConfigureAwait(false);
                if (applied > 0) Applied(log, applied);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // the loop must survive anything (a locked database file, a bug in one event); it logs and retries
            catch (Exception e)
#pragma warning restore CA1031
            {
                Failed(log, e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "applied {Count} pending event(s)")]
    static partial void Applied(ILogger log, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "retrying pending events failed; will retry on the next tick")]
    static partial void Failed(ILogger log, Exception e);
}
