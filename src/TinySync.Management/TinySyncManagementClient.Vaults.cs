using System.Globalization;
using System.Runtime.CompilerServices;
using TinySync.Core.Contracts;

namespace TinySync.Management;

public sealed partial class TinySyncManagementClient
{
    /// <summary>
    /// <c>POST /v1/vaults</c>: creates a vault with a server-chosen id. Not idempotent: retried only when the request
    /// certainly did not reach the server. Prefer <see cref="PutVaultAsync"/> with an id you chose and stored first.
    /// </summary>
    /// <param name="name">Display name, 1–200 characters.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<VaultView> CreateVaultAsync(string name, CancellationToken cancellationToken = default) =>
        SendAsync<VaultView>(HttpMethod.Post, "/v1/vaults", new VaultRequest(name), idempotent: false, cancellationToken);

    /// <summary><c>PUT /v1/vaults/{vid}</c>: creates the vault with this caller-chosen id, or renames it. Idempotent.</summary>
    /// <param name="vaultId">The vault's id (any UUID you choose).</param>
    /// <param name="name">Display name, 1–200 characters.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<VaultView> PutVaultAsync(Guid vaultId, string name, CancellationToken cancellationToken = default) =>
        SendAsync<VaultView>(HttpMethod.Put, $"/v1/vaults/{Id(vaultId)}", new VaultRequest(name), idempotent: true, cancellationToken);

    /// <summary><c>GET /v1/vaults</c>: one page of vaults.</summary>
    /// <param name="after">The <see cref="VaultList.Next"/> of the previous page; null for the first.</param>
    /// <param name="limit">Page size, 1–1000; null for the server's default (100).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<VaultList> ListVaultsAsync(Guid? after = null, int? limit = null, CancellationToken cancellationToken = default) =>
        SendAsync<VaultList>(HttpMethod.Get, "/v1/vaults" + Query(("after", after?.ToString("D")), ("limit", limit?.ToString(CultureInfo.InvariantCulture))),
            null, idempotent: true, cancellationToken);

    /// <summary>Every vault, page by page.</summary>
    /// <param name="pageSize">Page size, 1–1000.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    public async IAsyncEnumerable<VaultView> ListAllVaultsAsync(int pageSize = 100, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Guid? after = null;
        do
        {
            var page = await ListVaultsAsync(after, pageSize, cancellationToken).ConfigureAwait(false);
            foreach (var v in page.Vaults) yield return v;
            after = page.Next;
        } while (after is not null);
    }

    /// <summary><c>GET /v1/vaults/{vid}</c>: one vault with its groups, containers and head seq.</summary>
    /// <exception cref="TinySyncNotFoundException">No such vault (<c>vault_not_found</c>).</exception>
    public Task<VaultView> GetVaultAsync(Guid vaultId, CancellationToken cancellationToken = default) =>
        SendAsync<VaultView>(HttpMethod.Get, $"/v1/vaults/{Id(vaultId)}", null, idempotent: true, cancellationToken);

    /// <summary><c>PUT /v1/vaults/{vid}/containers/{name}</c>: creates or updates a container. Idempotent.</summary>
    /// <param name="vaultId">The vault.</param>
    /// <param name="name">Container name, <c>[a-z0-9][a-z0-9._-]{0,63}</c>.</param>
    /// <param name="namespace">The product namespace that owns the container.</param>
    /// <param name="policy">Limits the server enforces; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="TinySyncNotFoundException">No such vault (<c>vault_not_found</c>).</exception>
    public Task<ContainerView> PutContainerAsync(Guid vaultId, string name, string @namespace, ContainerPolicy? policy = null,
        CancellationToken cancellationToken = default) =>
        SendAsync<ContainerView>(HttpMethod.Put, $"/v1/vaults/{Id(vaultId)}/containers/{Segment(name)}", new ContainerRequest(@namespace, policy),
            idempotent: true, cancellationToken);
}
