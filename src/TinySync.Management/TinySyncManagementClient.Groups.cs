using System.Globalization;
using System.Runtime.CompilerServices;
using TinySync.Core.Contracts;

namespace TinySync.Management;

public sealed partial class TinySyncManagementClient
{
    /// <summary><c>PUT /v1/groups/{gid}</c>: creates the group or sets its display metadata (TinySync never interprets it). Idempotent.</summary>
    /// <param name="groupId">1–128 characters of <c>[A-Za-z0-9._:-]</c>, chosen by the Platform Service.</param>
    /// <param name="name">Optional display name.</param>
    /// <param name="ecosystem">Optional tag of the ecosystem that owns the group.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<GroupView> PutGroupAsync(string groupId, string? name = null, string? ecosystem = null, CancellationToken cancellationToken = default) =>
        SendAsync<GroupView>(HttpMethod.Put, $"/v1/groups/{Segment(groupId)}", new GroupRequest(name, ecosystem), idempotent: true, cancellationToken);

    /// <summary><c>GET /v1/groups/{gid}</c>: one group with its device and vault edges.</summary>
    /// <exception cref="TinySyncNotFoundException">No such group (<c>group_not_found</c>).</exception>
    public Task<GroupView> GetGroupAsync(string groupId, CancellationToken cancellationToken = default) =>
        SendAsync<GroupView>(HttpMethod.Get, $"/v1/groups/{Segment(groupId)}", null, idempotent: true, cancellationToken);

    /// <summary><c>GET /v1/groups</c>: one page of groups.</summary>
    /// <param name="after">The <see cref="GroupList.Next"/> of the previous page; null for the first.</param>
    /// <param name="limit">Page size, 1–1000; null for the server's default (100).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<GroupList> ListGroupsAsync(string? after = null, int? limit = null, CancellationToken cancellationToken = default) =>
        SendAsync<GroupList>(HttpMethod.Get, "/v1/groups" + Query(("after", after), ("limit", limit?.ToString(CultureInfo.InvariantCulture))),
            null, idempotent: true, cancellationToken);

    /// <summary>Every group, page by page.</summary>
    /// <param name="pageSize">Page size, 1–1000.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    public async IAsyncEnumerable<GroupView> ListAllGroupsAsync(int pageSize = 100, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? after = null;
        do
        {
            var page = await ListGroupsAsync(after, pageSize, cancellationToken).ConfigureAwait(false);
            foreach (var g in page.Groups) yield return g;
            after = page.Next;
        } while (after is not null);
    }

    /// <summary><c>DELETE /v1/groups/{gid}</c>: removes the group and all its edges. Deleting a missing group succeeds.</summary>
    public Task DeleteGroupAsync(string groupId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, $"/v1/groups/{Segment(groupId)}", null, idempotent: true, cancellationToken);

    /// <summary>
    /// <c>PUT /v1/groups/{gid}/devices/{did}</c>: adds the device to the group (creating the group if needed).
    /// Idempotent: <see cref="EdgeView.Created"/> is false when the edge already existed.
    /// </summary>
    /// <exception cref="TinySyncNotFoundException">No such device (<c>device_not_found</c>).</exception>
    /// <exception cref="TinySyncConflictException">The device is revoked (<c>device_is_revoked</c>).</exception>
    public Task<EdgeView> AddDeviceToGroupAsync(string groupId, Guid deviceId, CancellationToken cancellationToken = default) =>
        SendAsync<EdgeView>(HttpMethod.Put, $"/v1/groups/{Segment(groupId)}/devices/{Id(deviceId)}", null, idempotent: true, cancellationToken);

    /// <summary><c>DELETE /v1/groups/{gid}/devices/{did}</c>: removes the edge; takes effect on the device's next request. Removing a missing edge succeeds.</summary>
    /// <exception cref="TinySyncNotFoundException">No such device (<c>device_not_found</c>).</exception>
    public Task RemoveDeviceFromGroupAsync(string groupId, Guid deviceId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, $"/v1/groups/{Segment(groupId)}/devices/{Id(deviceId)}", null, idempotent: true, cancellationToken);

    /// <summary>
    /// <c>PUT /v1/groups/{gid}/vaults/{vid}</c>: grants the group's devices the vault (creating the group if needed).
    /// Idempotent: <see cref="EdgeView.Created"/> is false when the edge already existed.
    /// </summary>
    /// <exception cref="TinySyncNotFoundException">No such vault (<c>vault_not_found</c>).</exception>
    public Task<EdgeView> AddVaultToGroupAsync(string groupId, Guid vaultId, CancellationToken cancellationToken = default) =>
        SendAsync<EdgeView>(HttpMethod.Put, $"/v1/groups/{Segment(groupId)}/vaults/{Id(vaultId)}", null, idempotent: true, cancellationToken);

    /// <summary><c>DELETE /v1/groups/{gid}/vaults/{vid}</c>: removes the grant. Removing a missing edge succeeds.</summary>
    /// <exception cref="TinySyncNotFoundException">No such vault (<c>vault_not_found</c>).</exception>
    public Task RemoveVaultFromGroupAsync(string groupId, Guid vaultId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, $"/v1/groups/{Segment(groupId)}/vaults/{Id(vaultId)}", null, idempotent: true, cancellationToken);

    /// <summary><c>GET /v1/audit?after=N</c>: the server's record of management changes with <c>seq &gt; after</c>, oldest first.</summary>
    /// <param name="after">The last seq already read; 0 for the beginning.</param>
    /// <param name="limit">Page size, 1–1000; null for the server's default (100).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<AuditPage> ReadAuditAsync(long after = 0, int? limit = null, CancellationToken cancellationToken = default) =>
        SendAsync<AuditPage>(HttpMethod.Get, "/v1/audit" + Query(("after", after.ToString(CultureInfo.InvariantCulture)),
            ("limit", limit?.ToString(CultureInfo.InvariantCulture))), null, idempotent: true, cancellationToken);
}
