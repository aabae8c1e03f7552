using TinySync.Core.Contracts;

namespace TinySync.Server.Tests.Support;

/// <summary>Admin calls against any node by address (a <see cref="ServerProcess"/> as much as a <see cref="TestServer"/>).</summary>
public static class NodeAdmin
{
    public static HttpClient Client(Uri node, string? bearer = null, TimeSpan? timeout = null) =>
        new ServerAt(node).Client(bearer, timeout ?? TimeSpan.FromSeconds(60));

    /// <summary>A device that reaches a fresh vault, set up through <paramref name="node"/>.</summary>
    public static async Task<(DeviceRegistered Device, Guid VaultId)> DeviceWithVaultAsync(Uri node, string name = "device")
    {
        var server = new ServerAt(node);
        var device = await server.RegisterByAdminAsync(name);
        var vault = await server.CreateVaultAsync(name + "-vault");
        await server.GrantAsync(device.DeviceId, vault.VaultId);
        return (device, vault.VaultId);
    }

    /// <summary>Another device of the same vault.</summary>
    public static async Task<DeviceRegistered> PeerAsync(Uri node, Guid vaultId, string name = "peer")
    {
        var server = new ServerAt(node);
        var device = await server.RegisterByAdminAsync(name);
        await server.GrantAsync(device.DeviceId, vaultId);
        return device;
    }

    /// <summary>A sync client of <paramref name="device"/> talking to <paramref name="node"/>.</summary>
    public static SyncClient SyncClientOn(Uri node, DeviceRegistered device, Guid vaultId, TimeSpan? timeout = null) =>
        new(Client(node, device.Token, timeout), vaultId, device.DeviceId);
}
