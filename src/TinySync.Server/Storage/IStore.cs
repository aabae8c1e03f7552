using TinySync.Core.Contracts;

namespace TinySync.Server.Storage;

/// <summary>
/// The storage contract of the server. One implementation per database lives beside it (SQLite, PostgreSQL), both
/// built on the shared <see cref="Sql.SqlStore"/>; the conformance suite in tests runs against each.
/// Every management change writes its audit row in the same transaction as the change itself.
/// </summary>
public interface IStore
{
    // ---- Lifecycle -------------------------------------------------------------------------------------------
    /// <summary>Applies pending migrations. Safe to call from several nodes at once.</summary>
    Task MigrateAsync(CancellationToken ct);

    /// <summary>True when the database answers a trivial query.</summary>
    Task<bool> PingAsync(CancellationToken ct);

    // ---- Devices ---------------------------------------------------------------------------------------------
    /// <summary>The credential of a device, for authentication; null when the device is unknown.</summary>
    Task<DeviceCredential?> FindCredentialAsync(Guid deviceId, CancellationToken ct);

    /// <summary>Registers a device with the hash of its token's secret.</summary>
    Task<DeviceView> RegisterDeviceAsync(Guid deviceId, string displayName, byte[] credentialHash, DateTimeOffset now, CancellationToken ct);

    /// <summary>One device with its groups; null when unknown.</summary>
    Task<DeviceView?> GetDeviceAsync(Guid deviceId, CancellationToken ct);

    /// <summary>Devices ordered by id, after <paramref name="after"/>.</summary>
    Task<DevicePage> ListDevicesAsync(Guid? after, int limit, CancellationToken ct);

    /// <summary>Marks a device revoked; the row and its hash stay forever.</summary>
    Task<RevokeOutcome> RevokeDeviceAsync(Guid deviceId, DateTimeOffset now, string actor, CancellationToken ct);

    /// <summary>Records that the device was seen (the caller rate-limits this).</summary>
    Task TouchDeviceAsync(Guid deviceId, DateTimeOffset now, CancellationToken ct);

    // ---- Vaults and containers -------------------------------------------------------------------------------
    /// <summary>Creates the vault (with its <c>default</c> container) or renames it.</summary>
    Task<(VaultView Vault, bool Created)> UpsertVaultAsync(Guid vaultId, string name, DateTimeOffset now, CancellationToken ct);

    /// <summary>One vault; null when unknown.</summary>
    Task<VaultView?> GetVaultAsync(Guid vaultId, CancellationToken ct);

    /// <summary>Vaults ordered by id, after <paramref name="after"/>.</summary>
    Task<VaultList> ListVaultsAsync(Guid? after, int limit, CancellationToken ct);

    /// <summary>Creates or updates a container; null when the vault is unknown.</summary>
    Task<(ContainerView Container, bool Created)?> UpsertContainerAsync(Guid vaultId, string name, string ns, ContainerPolicy policy, DateTimeOffset now, CancellationToken ct);

    // ---- Groups and edges ------------------------------------------------------------------------------------
    /// <summary>Creates the group or updates its metadata.</summary>
    Task<(GroupView Group, bool Created)> UpsertGroupAsync(string groupId, string? name, string? ecosystem, DateTimeOffset now, CancellationToken ct);

    /// <summary>One group with its edges; null when unknown.</summary>
    Task<GroupView?> GetGroupAsync(string groupId, CancellationToken ct);

    /// <summary>Groups ordered by id, after <paramref name="after"/>.</summary>
    Task<GroupList> ListGroupsAsync(string? after, int limit, CancellationToken ct);

    /// <summary>Deletes a group and all its edges; false when it did not exist.</summary>
    Task<bool> DeleteGroupAsync(string groupId, DateTimeOffset now, CancellationToken ct);

    /// <summary>Adds a device→group edge, creating the group if needed.</summary>
    Task<EdgeOutcome> AddDeviceToGroupAsync(string groupId, Guid deviceId, DateTimeOffset now, CancellationToken ct);

    /// <summary>Removes a device→group edge; a missing edge is success.</summary>
    Task<EdgeOutcome> RemoveDeviceFromGroupAsync(string groupId, Guid deviceId, DateTimeOffset now, CancellationToken ct);

    /// <summary>Adds a group→vault edge, creating the group if needed.</summary>
    Task<EdgeOutcome> AddVaultToGroupAsync(string groupId, Guid vaultId, DateTimeOffset now, CancellationToken ct);

    /// <summary>Removes a group→vault edge; a missing edge is success.</summary>
    Task<EdgeOutcome> RemoveVaultFromGroupAsync(string groupId, Guid vaultId, DateTimeOffset now, CancellationToken ct);

    // ---- Authorization ---------------------------------------------------------------------------------------
    /// <summary>Is the device in a group that has access to the vault? Resolved from the edges at every call.</summary>
    Task<bool> CanAccessAsync(Guid deviceId, Guid vaultId, CancellationToken ct);

    /// <summary>The device, its groups and the vaults it reaches with their containers.</summary>
    Task<MeView?> GetMeAsync(Guid deviceId, CancellationToken ct);

    // ---- Audit -----------------------------------------------------------------------------------------------
    /// <summary>Audit rows with seq greater than <paramref name="after"/>, oldest first.</summary>
    Task<AuditPage> ReadAuditAsync(long after, int limit, CancellationToken ct);
}

/// <summary>What authentication needs of a device.</summary>
public sealed record DeviceCredential(Guid DeviceId, byte[] Hash, DateTimeOffset? RevokedAt);

/// <summary>Result of a revocation.</summary>
public enum RevokeOutcome
{
    /// <summary>No such device.</summary>
    NotFound,
    /// <summary>Revoked now.</summary>
    Revoked,
    /// <summary>Was already revoked; nothing changed.</summary>
    AlreadyRevoked,
}

/// <summary>Result of an edge change.</summary>
public enum EdgeOutcome
{
    /// <summary>The edge was added or removed.</summary>
    Changed,
    /// <summary>The edge was already as asked; nothing changed.</summary>
    Unchanged,
    /// <summary>The device does not exist.</summary>
    DeviceNotFound,
    /// <summary>The device is revoked and cannot join groups.</summary>
    DeviceRevoked,
    /// <summary>The vault does not exist.</summary>
    VaultNotFound,
}
