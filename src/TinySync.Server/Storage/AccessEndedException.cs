namespace TinySync.Server.Storage;

/// <summary>
/// Thrown by a write when the device's access ended while its request was open (docs/protocol.md, decision 0220): the device
/// was revoked, or it no longer reaches the vault. The transaction that would have written is rolled back; the
/// request is answered with the problem a new request would get (401 or 404).
/// </summary>
public sealed class AccessEndedException(Guid deviceId, Guid vaultId, bool revoked)
    : Exception(revoked ? "the device was revoked while its request was open" : "the device stopped reaching the vault while its request was open")
{
    /// <summary>The device whose write was refused.</summary>
    public Guid DeviceId { get; } = deviceId;

    /// <summary>The vault it wrote to.</summary>
    public Guid VaultId { get; } = vaultId;

    /// <summary>True when the device was revoked; false when it no longer reaches the vault.</summary>
    public bool Revoked { get; } = revoked;
}
