using TinySync.Core.Contracts;
using TinySync.Server.Blobs;

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

    /// <summary>
    /// The credential of a device and, in the same statement, whether it reaches <paramref name="vaultId"/>
    /// (<see cref="DeviceCredential.ReachesVault"/>): the two checks in front of a vault route (decision 0507). The
    /// edges are looked at only when the stored hash equals <paramref name="presentedHash"/>; otherwise
    /// <see cref="DeviceCredential.ReachesVault"/> is false. The caller still compares the hashes in constant time.
    /// </summary>
    Task<DeviceCredential?> FindCredentialAsync(Guid deviceId, Guid vaultId, byte[] presentedHash, CancellationToken ct);

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

    /// <summary>Records that a write was refused because the device's access ended while its request was open.</summary>
    Task RecordWriteRefusedAsync(AccessEndedException refused, string route, DateTimeOffset now, CancellationToken ct);

    // ---- Vault sync: mutations -------------------------------------------------------------------------------
    /// <summary>
    /// Applies a batch of ops in order, in one write transaction, and returns one result per op. Each committed op
    /// takes the next seq of the vault (dense, gap-free); an op whose <c>base</c> does not match the item's version
    /// is a conflict; an op already committed by this device (same op id) returns its original result, or
    /// <c>op_id_reused</c> when its content differs. Null when the vault does not exist. Throws
    /// <see cref="AccessEndedException"/>, having written nothing, when the device is revoked or no longer reaches the
    /// vault at the moment of writing. The op ids of a batch must be distinct.
    /// </summary>
    Task<BatchOutcome?> CommitAsync(Guid vaultId, Guid deviceId, IReadOnlyList<Op> ops, DateTimeOffset now, CancellationToken ct);

    // ---- Vault sync: reading ---------------------------------------------------------------------------------
    /// <summary>Log rows with seq greater than <paramref name="after"/>, oldest first, and the head; null for an unknown vault.</summary>
    Task<LogPage?> ReadLogAsync(Guid vaultId, long after, int limit, CancellationToken ct);

    /// <summary>
    /// The same page as <see cref="ReadLogAsync"/>, written as its wire JSON (a <see cref="LogPage"/>, the bytes
    /// JsonSerializer would write with the wire options) straight from the database reader into
    /// <paramref name="output"/>, flushing as it goes. Returns the head; null for an unknown vault. Writes nothing
    /// when the vault is unknown or <paramref name="after"/> is beyond the head, so the caller can still answer
    /// with a problem.
    /// </summary>
    Task<long?> WriteLogJsonAsync(Guid vaultId, long after, int limit, System.IO.Pipelines.PipeWriter output, CancellationToken ct);

    /// <summary>
    /// A page of the live items of a container ordered by path key, after <paramref name="afterKey"/>, with the head
    /// read before the items (the items reflect at least that seq). Null when the container does not exist.
    /// </summary>
    Task<TreeRead?> ReadTreeAsync(Guid vaultId, string container, string? afterKey, int limit, CancellationToken ct);

    /// <summary>
    /// The versions of the item at (or last at) <paramref name="path"/> committed at or after <paramref name="since"/>,
    /// followed back across moves of the item and of its folders, with deletes of it or of a folder it was in (plus
    /// the version that is live, and the last version of a file deleted since then), newest first; null when the
    /// container does not exist (decision 0321).
    /// </summary>
    Task<IReadOnlyList<HistoryEntry>?> ReadHistoryAsync(Guid vaultId, string container, string path, DateTimeOffset since, CancellationToken ct);

    /// <summary>
    /// A page of the files deleted at or after <paramref name="since"/> and not live again (the newest delete of each
    /// path), in path-key order after <paramref name="afterKey"/>, under the folder <paramref name="under"/> (the whole
    /// container when null). Null when the container does not exist.
    /// </summary>
    Task<DeletedRead?> ReadDeletedAsync(Guid vaultId, string container, string? under, string? afterKey, int limit, DateTimeOffset since, CancellationToken ct);

    // ---- Vault sync: chunks ----------------------------------------------------------------------------------
    /// <summary>The hashes (of those given) this vault does not hold, in the order given, without duplicates.</summary>
    Task<IReadOnlyList<string>> FindMissingChunksAsync(Guid vaultId, IReadOnlyList<string> hashes, CancellationToken ct);

    /// <summary>True when the vault holds (has registered) the chunk.</summary>
    Task<bool> HoldsChunkAsync(Guid vaultId, string hash, CancellationToken ct);

    /// <summary>
    /// Registers a verified chunk to a vault, making sure <paramref name="blobs"/> holds its bytes while the
    /// registration commits (so garbage collection cannot remove them underneath). True when newly registered.
    /// </summary>
    Task<bool> RegisterChunkAsync(Guid vaultId, Guid deviceId, string hash, ReadOnlyMemory<byte> content, IChunkStore blobs, DateTimeOffset now, CancellationToken ct);

    /// <summary>
    /// <see cref="RegisterChunkAsync"/> for many verified chunks at once: their bytes go to <paramref name="blobs"/>
    /// with one durability barrier (<see cref="IChunkStore.PutManyAsync"/>), then all are registered in one
    /// transaction. Returns how many were newly registered. On failure none of the registrations is committed
    /// (some bytes may be stored, unregistered, for the collector).
    /// </summary>
    Task<int> RegisterChunksAsync(Guid vaultId, Guid deviceId, IReadOnlyList<(string Hash, ReadOnlyMemory<byte> Content)> chunks, IChunkStore blobs, DateTimeOffset now, CancellationToken ct);

    // ---- Vault sync: history retention -----------------------------------------------------------------------
    /// <summary>
    /// Removes chunk registrations referenced by no live item and no change-log row committed within the retention
    /// window and older than it, then deletes physical chunks no vault registers.
    /// </summary>
    Task<GcReport> CollectGarbageAsync(DateTimeOffset now, TimeSpan retention, IChunkStore blobs, CancellationToken ct);
}

/// <summary>Outcome of a committed batch.</summary>
/// <param name="Results">One result per op, in order.</param>
/// <param name="Head">The vault's head after the batch.</param>
/// <param name="Advanced">True when this batch committed at least one new row (a hint is due).</param>
public sealed record BatchOutcome(IReadOnlyList<OpResult> Results, long Head, bool Advanced);

/// <summary>A page of a container's live items.</summary>
/// <param name="Seq">The head read before the items.</param>
/// <param name="Items">Items ordered by path key.</param>
/// <param name="LastKey">The key of the last item when more follow; null on the last page.</param>
public sealed record TreeRead(long Seq, IReadOnlyList<Item> Items, string? LastKey);

/// <summary>A page of deleted files, and the last path key of the page when more follow.</summary>
public sealed record DeletedRead(IReadOnlyList<DeletedEntry> Entries, string? LastKey);

/// <summary>What a garbage collection run removed.</summary>
/// <param name="RegistrationsRemoved">Chunk registrations dropped from vaults.</param>
/// <param name="ChunksDeleted">Physical chunks deleted.</param>
public sealed record GcReport(int RegistrationsRemoved, int ChunksDeleted);

/// <summary>What authentication needs of a device.</summary>
public sealed record DeviceCredential(Guid DeviceId, byte[] Hash, DateTimeOffset? RevokedAt, bool ReachesVault = false);

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
