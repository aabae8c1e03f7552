using PlatformService.Catalog;
using TinySync.Core.Contracts;
using TinySync.Management;

namespace PlatformService.Sync;

/// <summary>
/// Brings TinySync in line with the catalog for one scope (a membership, a workspace vault, a user, a device), with
/// idempotent calls only: applying a scope twice, or after a later event, ends in the same state. That is what makes
/// pending events safe to replay in any order. A 404/409 that means "this device is gone from TinySync" is not an
/// error: the device is marked revoked in the catalog and the decision is logged as activity.
/// Transient failures propagate (<see cref="TinySyncApiException.IsTransient"/>): the caller keeps the event pending.
/// </summary>
public sealed class Provisioner(TinySyncManagementClient tinySync, Catalog.Catalog catalog)
{
    /// <summary>The ecosystem tag put on every group this service owns.</summary>
    public const string Ecosystem = "playground";

    /// <summary>The group of a workspace: the playground chooses group ids, TinySync treats them as opaque.</summary>
    public static string GroupOf(string workspaceId) => $"pg:ws:{workspaceId}";

    /// <summary>The user's live devices in the workspace's group if the user is a member, out of it otherwise.</summary>
    public async Task SyncMembershipAsync(string userId, string workspaceId, CancellationToken ct)
    {
        var ws = await catalog.GetWorkspaceAsync(workspaceId, ct).ConfigureAwait(false);
        if (ws is null) return;
        var member = await catalog.IsMemberAsync(userId, workspaceId, ct).ConfigureAwait(false);
        foreach (var d in await catalog.DevicesOfUserAsync(userId, ct).ConfigureAwait(false))
        {
            if (d.RevokedAt is not null) continue;
            if (member) await PutDeviceEdgeAsync(ws.GroupId, d, ct).ConfigureAwait(false);
            else await DeleteDeviceEdgeAsync(ws.GroupId, d, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The vault (created with the catalog's id if needed) granted to the workspace's group, or the grant removed.</summary>
    public async Task SyncWorkspaceVaultAsync(string workspaceId, Guid vaultId, CancellationToken ct)
    {
        var ws = await catalog.GetWorkspaceAsync(workspaceId, ct).ConfigureAwait(false);
        if (ws is null) return;
        if (await catalog.GetVaultAsync(workspaceId, vaultId, ct).ConfigureAwait(false) is { } v)
        {
            await EnsureVaultAsync(v, ct).ConfigureAwait(false);
            await tinySync.AddVaultToGroupAsync(ws.GroupId, vaultId, ct).ConfigureAwait(false);
            return;
        }
        try
        {
            await tinySync.RemoveVaultFromGroupAsync(ws.GroupId, vaultId, ct).ConfigureAwait(false);
        }
        catch (TinySyncNotFoundException e)
        {
            await NoteAsync("info", $"vault {vaultId} is unknown to TinySync ({e.Code}); there was no grant to remove", ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Creates the vault with the catalog's id (PUT: safe to repeat). A vault added without a name keeps the name it
    /// already has in TinySync; only a vault that does not exist yet gets the default name.
    /// </summary>
    public async Task EnsureVaultAsync(VaultRow v, CancellationToken ct)
    {
        var id = Guid.Parse(v.VaultId);
        if (v.Name.Length > 0)
        {
            await tinySync.PutVaultAsync(id, v.Name, ct).ConfigureAwait(false);
            return;
        }
        try
        {
            await tinySync.GetVaultAsync(id, ct).ConfigureAwait(false);
        }
        catch (TinySyncNotFoundException)
        {
            await tinySync.PutVaultAsync(id, "vault", ct).ConfigureAwait(false);
        }
    }

    /// <summary>The workspace's group with its metadata, its vaults and its members' live devices.</summary>
    public async Task SyncWorkspaceAsync(string workspaceId, CancellationToken ct)
    {
        var ws = await catalog.GetWorkspaceAsync(workspaceId, ct).ConfigureAwait(false);
        if (ws is null) return;
        await tinySync.PutGroupAsync(ws.GroupId, ws.Name, Ecosystem, ct).ConfigureAwait(false);
        foreach (var v in (await catalog.ListVaultsAsync(ct).ConfigureAwait(false)).Where(v => v.WorkspaceId == workspaceId))
            await SyncWorkspaceVaultAsync(workspaceId, Guid.Parse(v.VaultId), ct).ConfigureAwait(false);
        foreach (var m in (await catalog.ListMembershipsAsync(ct).ConfigureAwait(false)).Where(m => m.WorkspaceId == workspaceId))
            await SyncMembershipAsync(m.UserId, workspaceId, ct).ConfigureAwait(false);
    }

    /// <summary>Every device of the user that the catalog marks revoked is revoked in TinySync (idempotent).</summary>
    public async Task SyncUserDevicesAsync(string userId, CancellationToken ct)
    {
        foreach (var d in await catalog.DevicesOfUserAsync(userId, ct).ConfigureAwait(false))
            await SyncDeviceAsync(d, ct).ConfigureAwait(false);
    }

    /// <summary>A revoked device is revoked in TinySync; a live one is in the groups of its user's workspaces.</summary>
    public async Task SyncDeviceAsync(DeviceRow d, CancellationToken ct)
    {
        if (d.RevokedAt is not null)
        {
            try
            {
                await tinySync.RevokeDeviceAsync(Guid.Parse(d.DeviceId), ct).ConfigureAwait(false);
            }
            catch (TinySyncNotFoundException e)
            {
                await NoteAsync("warning", $"device {d.DeviceId} is unknown to TinySync ({e.Code}); nothing to revoke, the catalog keeps it revoked", ct).ConfigureAwait(false);
            }
            return;
        }
        foreach (var ws in await catalog.WorkspacesOfUserAsync(d.UserId, ct).ConfigureAwait(false))
            if (!await PutDeviceEdgeAsync(ws.GroupId, d, ct).ConfigureAwait(false)) return;
    }

    /// <summary>Adds the edge; false when TinySync says the device is gone (then the catalog says so too).</summary>
    public async Task<bool> PutDeviceEdgeAsync(string groupId, DeviceRow d, CancellationToken ct)
    {
        try
        {
            await tinySync.AddDeviceToGroupAsync(groupId, Guid.Parse(d.DeviceId), ct).ConfigureAwait(false);
            return true;
        }
        catch (TinySyncApiException e) when (e is TinySyncConflictException or TinySyncNotFoundException)
        {
            await DeviceGoneAsync(d, e, ct).ConfigureAwait(false);
            return false;
        }
    }

    /// <summary>Removes the edge; a device unknown to TinySync has no edge to remove.</summary>
    public async Task DeleteDeviceEdgeAsync(string groupId, DeviceRow d, CancellationToken ct)
    {
        try
        {
            await tinySync.RemoveDeviceFromGroupAsync(groupId, Guid.Parse(d.DeviceId), ct).ConfigureAwait(false);
        }
        catch (TinySyncNotFoundException e)
        {
            await DeviceGoneAsync(d, e, ct).ConfigureAwait(false);
        }
    }

    async Task DeviceGoneAsync(DeviceRow d, TinySyncApiException e, CancellationToken ct)
    {
        var reason = e.Code == ProblemCodes.DeviceIsRevoked
            ? "revoked in TinySync outside the playground"
            : "unknown to TinySync";
        await catalog.MarkDeviceRevokedAsync(d.DeviceId, reason, ct).ConfigureAwait(false);
        await NoteAsync("warning",
            $"TinySync answered {(int?)e.StatusCode} {e.Code} to {e.Method} {e.Path}: device {d.DeviceId} of user {d.UserId} is {reason}. " +
            "Marked revoked in the catalog; the user can set up Drive again on that machine.", ct).ConfigureAwait(false);
    }

    /// <summary>Appends an activity entry under the current call context.</summary>
    public Task NoteAsync(string level, string message, CancellationToken ct) =>
        catalog.AppendActivityAsync(level, CallContext.Value, message, ct);
}
