using System.Diagnostics.Metrics;

namespace TinySync.Server.Observability;

/// <summary>The server's own instruments (meter <c>TinySync.Server</c>), exported at <c>/metrics</c>.</summary>
public sealed class ServerMetrics : IDisposable
{
    /// <summary>Meter name.</summary>
    public const string MeterName = "TinySync.Server";

    readonly Meter _meter;
    readonly Counter<long> _authFailures;
    readonly Counter<long> _registrations;
    readonly Counter<long> _revocations;

    /// <summary>Creates the instruments on a meter from the factory.</summary>
    public ServerMetrics(IMeterFactory factory)
    {
        _meter = factory.Create(MeterName);
        _authFailures = _meter.CreateCounter<long>("tinysync.auth.failures", description: "Requests refused for a missing, invalid or wrong-kind token");
        _registrations = _meter.CreateCounter<long>("tinysync.devices.registered", description: "Devices registered");
        _revocations = _meter.CreateCounter<long>("tinysync.devices.revoked", description: "Devices revoked");
    }

    /// <summary>The meter, for instruments of other components.</summary>
    public Meter Meter => _meter;

    /// <summary>Counts a refused request.</summary>
    public void AuthFailure(string kind) => _authFailures.Add(1, new KeyValuePair<string, object?>("kind", kind));

    /// <summary>Counts a registration.</summary>
    public void Registered() => _registrations.Add(1);

    /// <summary>Counts a revocation.</summary>
    public void Revoked() => _revocations.Add(1);

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();
}
