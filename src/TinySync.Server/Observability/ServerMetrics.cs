using System.Diagnostics.Metrics;

namespace TinySync.Server.Observability;

/// <summary>The server's own instruments (meter <c>TinySync.Server</c>), exported at <c>/metrics</c> and over OTLP; Prometheus names get <c>_</c> for <c>.</c>, a unit suffix and <c>_total</c> for counters.</summary>
public sealed class ServerMetrics : IDisposable
{
    /// <summary>Meter name.</summary>
    public const string MeterName = "TinySync.Server";

    readonly Meter _meter;
    readonly Counter<long> _authFailures;
    readonly Counter<long> _registrations;
    readonly Counter<long> _revocations;
    readonly Counter<long> _batches;
    readonly Counter<long> _committed;
    readonly Counter<long> _conflicts;
    readonly Counter<long> _rejected;
    readonly Counter<long> _chunkBytesIn;
    readonly Counter<long> _chunkBytesOut;

    /// <summary>Creates the instruments on a meter from the factory.</summary>
    public ServerMetrics(IMeterFactory factory)
    {
        _meter = factory.Create(MeterName);
        _authFailures = _meter.CreateCounter<long>("tinysync.auth.failures", description: "Requests refused for a missing, invalid or wrong-kind token");
        _registrations = _meter.CreateCounter<long>("tinysync.devices.registered", description: "Devices registered");
        _revocations = _meter.CreateCounter<long>("tinysync.devices.revoked", description: "Devices revoked");
        _batches = _meter.CreateCounter<long>("tinysync.ops.batches", unit: "{batch}", description: "Op batches (POST /ops requests) the server answered");
        _committed = _meter.CreateCounter<long>("tinysync.ops.committed", unit: "{op}", description: "Ops committed to a vault's change log");
        _conflicts = _meter.CreateCounter<long>("tinysync.ops.conflicts", unit: "{op}", description: "Ops answered with a conflict (the base was not the current version)");
        _rejected = _meter.CreateCounter<long>("tinysync.ops.rejected", unit: "{op}", description: "Ops rejected as invalid");
        _chunkBytesIn = _meter.CreateCounter<long>("tinysync.chunks.received", unit: "By", description: "Chunk bytes received and verified (single and batched uploads)");
        _chunkBytesOut = _meter.CreateCounter<long>("tinysync.chunks.sent", unit: "By", description: "Chunk bytes sent (single and batched downloads)");
    }

    /// <summary>The meter, for instruments of other components.</summary>
    public Meter Meter => _meter;

    /// <summary>Counts a refused request.</summary>
    public void AuthFailure(string kind) => _authFailures.Add(1, new KeyValuePair<string, object?>("kind", kind));

    /// <summary>Counts a registration.</summary>
    public void Registered() => _registrations.Add(1);

    /// <summary>Counts a revocation.</summary>
    public void Revoked() => _revocations.Add(1);

    /// <summary>Counts one answered batch and its ops by outcome.</summary>
    public void Committed(IReadOnlyList<Core.Contracts.OpResult> results)
    {
        _batches.Add(1);
        long committed = 0, conflicts = 0, rejected = 0;
        foreach (var r in results)
        {
            switch (r.Status)
            {
                case Core.Contracts.OpStatus.Committed: committed++; break;
                case Core.Contracts.OpStatus.Conflict: conflicts++; break;
                default: rejected++; break;
            }
        }
        if (committed > 0) _committed.Add(committed);
        if (conflicts > 0) _conflicts.Add(conflicts);
        if (rejected > 0) _rejected.Add(rejected);
    }

    /// <summary>Counts verified chunk bytes that arrived.</summary>
    public void ChunkBytesIn(long bytes) => _chunkBytesIn.Add(bytes);

    /// <summary>Counts chunk bytes that left.</summary>
    public void ChunkBytesOut(long bytes) => _chunkBytesOut.Add(bytes);

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();
}
