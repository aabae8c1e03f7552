namespace TinySync.Core.Contracts;

// Management API shapes (docs/protocol.md#management-api). snake_case on the wire through TinySyncJson.

/// <summary><c>POST /v1/devices</c> body.</summary>
public sealed record RegisterDeviceRequest(string DisplayName);

/// <summary>201 answer to a registration: the only time the raw token is ever returned.</summary>
public sealed record DeviceRegistered(Guid DeviceId, string Token, string DisplayName, DateTimeOffset RegisteredAt);

/// <summary>A device as the management API shows it.</summary>
public sealed record DeviceView(
    Guid DeviceId,
    string DisplayName,
    DateTimeOffset RegisteredAt,
    DateTimeOffset? LastSeenAt,
    DateTimeOffset? RevokedAt,
    IReadOnlyList<string> Groups);

/// <summary>A page of devices; pass <c>next</c> as <c>after</c> for the following page.</summary>
public sealed record DevicePage(IReadOnlyList<DeviceView> Devices, Guid? Next);

/// <summary><c>POST /v1/vaults</c> and <c>PUT /v1/vaults/{vid}</c> body.</summary>
public sealed record VaultRequest(string Name);

/// <summary>A container's policy, enforced by the server on every op.</summary>
/// <param name="MaxFileBytes">Largest file a <c>put</c> may declare; null means the server's own limit.</param>
/// <param name="ReadOnly">When true, every op on the container is rejected.</param>
public sealed record ContainerPolicy(long? MaxFileBytes = null, bool ReadOnly = false);

/// <summary><c>PUT /v1/vaults/{vid}/containers/{name}</c> body.</summary>
public sealed record ContainerRequest(string Namespace, ContainerPolicy? Policy = null);

/// <summary>A container of a vault.</summary>
public sealed record ContainerView(string Name, string Namespace, ContainerPolicy Policy);

/// <summary>A vault with its containers, groups and head.</summary>
public sealed record VaultView(
    Guid VaultId,
    string Name,
    DateTimeOffset CreatedAt,
    long Head,
    IReadOnlyList<ContainerView> Containers,
    IReadOnlyList<string> Groups);

/// <summary>A page of vaults; pass <c>next</c> as <c>after</c> for the following page.</summary>
public sealed record VaultList(IReadOnlyList<VaultView> Vaults, Guid? Next);

/// <summary><c>PUT /v1/groups/{gid}</c> body: optional display metadata TinySync never interprets.</summary>
public sealed record GroupRequest(string? Name = null, string? Ecosystem = null);

/// <summary>A group with its edges.</summary>
public sealed record GroupView(
    string GroupId,
    string? Name,
    string? Ecosystem,
    DateTimeOffset CreatedAt,
    IReadOnlyList<Guid> Devices,
    IReadOnlyList<Guid> Vaults);

/// <summary>A page of groups; pass <c>next</c> as <c>after</c> for the following page.</summary>
public sealed record GroupList(IReadOnlyList<GroupView> Groups, string? Next);

/// <summary>Answer to an edge PUT: <c>created</c> is false when the edge already existed.</summary>
public sealed record EdgeView(string GroupId, Guid? DeviceId, Guid? VaultId, bool Created);

/// <summary>One row of the server's own append-only record of management changes.</summary>
public sealed record AuditEntry(long Seq, DateTimeOffset At, string Action, string Target, System.Text.Json.JsonElement? Detail);

/// <summary>A page of the audit record.</summary>
public sealed record AuditPage(IReadOnlyList<AuditEntry> Entries, long Head, bool HasMore);

/// <summary><c>GET /v1/me</c>: this device, its groups and the vaults it reaches.</summary>
public sealed record MeView(
    Guid DeviceId,
    string DisplayName,
    DateTimeOffset RegisteredAt,
    IReadOnlyList<string> Groups,
    IReadOnlyList<MeVault> Vaults);

/// <summary>A vault this device reaches, with its containers (vault discovery).</summary>
public sealed record MeVault(Guid VaultId, string Name, long Head, IReadOnlyList<ContainerView> Containers);
