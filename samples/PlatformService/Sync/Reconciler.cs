using PlatformService.Catalog;
using TinySync.Core.Contracts;
using TinySync.Management;

namespace PlatformService.Sync;

/// <summary>One repair made by reconcile.</summary>
/// <param name="Action">What was done, e.g. <c>add_device_edge</c>, <c>remove_vault_edge</c>, <c>revoke_device</c>.</param>
/// <param name="Target">The group, device or vault concerned.</param>
/// <param name="Detail">Why.</param>
public sealed record Repair(string Action, string Target, string Detail);

/// <summary>What reconcile found and changed.</summary>
public sealed record ReconcileReport(DateTimeOffset At, int WorkspacesChecked, int DevicesChecked, IReadOnlyList<Repair> Repairs);

/// <summary>
/// Reconcile: recompute the desired state from the catalog, read TinySync's actual state, repair the difference.
/// Desired: every workspace has its group; the group reaches exactly the workspace's vaults; its devices are exactly
/// the live devices of the workspace's members; devices revoked in the catalog are revoked in TinySync. A device
/// revoked in TinySync but live in the catalog is marked revoked in the catalog (revocation is final). Edges of
/// revoked devices are left alone: they grant nothing. Groups this service does not own are never touched.
/// </summary>
public sealed class Reconciler(TinySyncManagementClient tinySync, Catalog.Catalog catalog, Provisioner provisioner)
{
    /// <summary>Runs one reconcile pass. Transient TinySync failures propagate (nothing half-reported).</summary>
    public async Task<ReconcileReport> RunAsync(CancellationToken ct)
    {
        using var _ = CallContext.Begin("reconcile");
        var repairs = new List<Repair>();

        // Devices: revocation is the one fact both sides must agree on before edges are compared.
        var server = new Dictionary<Guid, DeviceView>();
        await foreach (var d in tinySync.ListAllDevicesAsync(500, ct).ConfigureAwait(false)) server[d.DeviceId] = d;
        var devices = await catalog.ListDevicesAsync(ct).ConfigureAwait(false);
        foreach (var d in devices)
        {
            var id = Guid.Parse(d.DeviceId);
            var remote = server.GetValueOrDefault(id);
            if (d.RevokedAt is not null && remote is { RevokedAt: null })
            {
                await tinySync.RevokeDeviceAsync(id, ct).ConfigureAwait(false);
                repairs.Add(new Repair("revoke_device", d.DeviceId, $"revoked in the catalog ({d.RevokeReason}) but live in TinySync"));
            }
            else if (d.RevokedAt is null && remote is null or { RevokedAt: not null })
            {
                var reason = remote is null ? "unknown to TinySync" : "revoked in TinySync outside the playground";
                await catalog.MarkDeviceRevokedAsync(d.DeviceId, reason, ct).ConfigureAwait(false);
                repairs.Add(new Repair("mark_device_revoked", d.DeviceId, $"{reason}; marked revoked in the catalog"));
            }
        }
        devices = await catalog.ListDevicesAsync(ct).ConfigureAwait(false);
        var revoked = server.Values.Where(d => d.RevokedAt is not null).Select(d => d.DeviceId).ToHashSet();
        var liveByUser = devices.Where(d => d.RevokedAt is null).ToLookup(d => d.UserId);
        var memberships = (await catalog.ListMembershipsAsync(ct).ConfigureAwait(false)).ToLookup(m => m.WorkspaceId);
        var vaults = (await catalog.ListVaultsAsync(ct).ConfigureAwait(false)).ToLookup(v => v.WorkspaceId);
        var workspaces = await catalog.ListWorkspacesAsync(ct).ConfigureAwait(false);

        foreach (var ws in workspaces)
        {
            var wantDevices = memberships[ws.WorkspaceId].SelectMany(m => liveByUser[m.UserId]).ToDictionary(d => Guid.Parse(d.DeviceId));
            var wantVaults = vaults[ws.WorkspaceId].ToDictionary(v => Guid.Parse(v.VaultId));

            GroupView group;
            try
            {
                group = await tinySync.GetGroupAsync(ws.GroupId, ct).ConfigureAwait(false);
            }
            catch (TinySyncNotFoundException)
            {
                group = await tinySync.PutGroupAsync(ws.GroupId, ws.Name, Provisioner.Ecosystem, ct).ConfigureAwait(false);
                repairs.Add(new Repair("create_group", ws.GroupId, $"the group of workspace '{ws.WorkspaceId}' was missing"));
            }

            foreach (var (id, d) in wantDevices.Where(p => !group.Devices.Contains(p.Key)))
            {
                if (await provisioner.PutDeviceEdgeAsync(ws.GroupId, d, ct).ConfigureAwait(false))
                    repairs.Add(new Repair("add_device_edge", $"{ws.GroupId} ← device {id}", $"user '{d.UserId}' is a member of '{ws.WorkspaceId}'"));
                else
                    repairs.Add(new Repair("mark_device_revoked", id.ToString("D"), "TinySync refused the device; marked revoked in the catalog"));
            }
            foreach (var id in group.Devices.Where(id => !wantDevices.ContainsKey(id) && !revoked.Contains(id)))
            {
                await tinySync.RemoveDeviceFromGroupAsync(ws.GroupId, id, ct).ConfigureAwait(false);
                repairs.Add(new Repair("remove_device_edge", $"{ws.GroupId} ← device {id}", "no member of the workspace owns this live device"));
            }
            foreach (var (id, v) in wantVaults.Where(p => !group.Vaults.Contains(p.Key)))
            {
                await provisioner.EnsureVaultAsync(v, ct).ConfigureAwait(false);
                await tinySync.AddVaultToGroupAsync(ws.GroupId, id, ct).ConfigureAwait(false);
                repairs.Add(new Repair("add_vault_edge", $"{ws.GroupId} → vault {id}", $"vault {(v.Name.Length > 0 ? $"'{v.Name}'" : id.ToString("D"))} belongs to workspace '{ws.WorkspaceId}'"));
            }
            foreach (var id in group.Vaults.Where(id => !wantVaults.ContainsKey(id)))
            {
                await tinySync.RemoveVaultFromGroupAsync(ws.GroupId, id, ct).ConfigureAwait(false);
                repairs.Add(new Repair("remove_vault_edge", $"{ws.GroupId} → vault {id}", $"the vault is not in workspace '{ws.WorkspaceId}'"));
            }
        }

        foreach (var r in repairs)
            await provisioner.NoteAsync("info", $"reconcile: {r.Action} {r.Target}: {r.Detail}", ct).ConfigureAwait(false);
        if (repairs.Count == 0)
            await provisioner.NoteAsync("info", $"reconcile: TinySync matches the catalog ({workspaces.Count} workspaces, {devices.Count} devices)", ct).ConfigureAwait(false);
        return new ReconcileReport(DateTimeOffset.UtcNow, workspaces.Count, devices.Count, repairs);
    }
}
