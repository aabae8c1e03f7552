namespace TinySync.Server.Signals;

/// <summary>
/// Server-internal signals that streams react to: a vault's head moved, a device was revoked, access edges were
/// removed. The in-process bus serves one node; a multi-node deployment relays the same signals through the
/// database (PostgreSQL LISTEN/NOTIFY) so every node's streams hear them.
/// </summary>
public interface ISignalBus
{
    /// <summary>Publishes a commit: <paramref name="vaultId"/> reached <paramref name="head"/>.</summary>
    void PublishCommit(Guid vaultId, long head);

    /// <summary>Publishes the revocation of a device.</summary>
    void PublishRevoked(Guid deviceId);

    /// <summary>Publishes that device→group or group→vault edges were removed (access may have shrunk).</summary>
    void PublishAccessChanged();

    /// <summary>Raised on every node for every commit.</summary>
    event Action<Guid, long>? Committed;

    /// <summary>Raised on every node for every revocation.</summary>
    event Action<Guid>? Revoked;

    /// <summary>Raised on every node when access may have shrunk.</summary>
    event Action? AccessChanged;
}

/// <summary>Single-node bus: publishing raises the events directly.</summary>
public sealed class InProcessSignalBus : ISignalBus
{
    /// <inheritdoc />
    public event Action<Guid, long>? Committed;

    /// <inheritdoc />
    public event Action<Guid>? Revoked;

    /// <inheritdoc />
    public event Action? AccessChanged;

    /// <inheritdoc />
    public void PublishCommit(Guid vaultId, long head) => Committed?.Invoke(vaultId, head);

    /// <inheritdoc />
    public void PublishRevoked(Guid deviceId) => Revoked?.Invoke(deviceId);

    /// <inheritdoc />
    public void PublishAccessChanged() => AccessChanged?.Invoke();
}
