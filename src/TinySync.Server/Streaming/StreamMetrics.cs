using System.Diagnostics.Metrics;
using TinySync.Server.Observability;

namespace TinySync.Server.Streaming;

/// <summary>Instruments of the wake-hint stream, on the server's meter (exported at <c>/metrics</c>).</summary>
public sealed class StreamMetrics
{
    readonly UpDownCounter<long> _open;
    readonly Counter<long> _hints;
    readonly Counter<long> _dropped;
    readonly Histogram<double> _recheck;

    /// <summary>Creates the instruments on <see cref="ServerMetrics.Meter"/>.</summary>
    public StreamMetrics(ServerMetrics metrics)
    {
        var meter = metrics.Meter;
        _open = meter.CreateUpDownCounter<long>("tinysync.streams.open", description: "Open wake-hint streams");
        _hints = meter.CreateCounter<long>("tinysync.streams.hints_sent", description: "Wake hints written to streams");
        _dropped = meter.CreateCounter<long>("tinysync.streams.dropped",
            description: "Streams ended by the server or lost: revoked, slow_reader, protocol_error, server_error, shutdown, connection_lost");
        _recheck = meter.CreateHistogram<double>("tinysync.streams.recheck.duration", unit: "s",
            description: "One access re-check pass over all open streams (after it, hints of lost vaults have stopped)");
    }

    /// <summary>A stream opened.</summary>
    public void Opened() => _open.Add(1);

    /// <summary>A stream ended.</summary>
    public void Closed() => _open.Add(-1);

    /// <summary>A hint frame was written.</summary>
    public void HintSent() => _hints.Add(1);

    /// <summary>A re-check pass over all streams took <paramref name="elapsed"/>.</summary>
    public void Rechecked(TimeSpan elapsed) => _recheck.Record(elapsed.TotalSeconds);

    /// <summary>A stream was closed or aborted for <paramref name="reason"/> (not a normal client close).</summary>
    public void Dropped(string reason) => _dropped.Add(1, new KeyValuePair<string, object?>("reason", reason));
}
