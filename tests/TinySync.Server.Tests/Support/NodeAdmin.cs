using System.Net.Http.Headers;
using System.Net.Http.Json;
using TinySync.Core.Contracts;
using TinySync.Core.Json;

namespace TinySync.Server.Tests.Support;

/// <summary>Admin calls against any node by address (a <see cref="ServerProcess"/> as much as a <see cref="TestServer"/>).</summary>
public static class NodeAdmin
{
    public static HttpClient Client(Uri node, string? bearer = null, TimeSpan? timeout = null)
    {
        var c = new HttpClient { BaseAddress = node, Timeout = timeout ?? TimeSpan.FromSeconds(60) };
        if (bearer is not null) c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        return c;
    }

    /// <summary>A device that reaches a fresh vault, set up through <paramref name="node"/>.</summary>
    public static async Task<(DeviceRegistered Device, Guid VaultId)> DeviceWithVaultAsync(Uri node, string name = "device")
    {
        using var admin = Client(node, TestServer.AdminTokenValue);
        var r = await admin.PostAsJsonAsync("v1/devices", new RegisterDeviceRequest(name), TinySyncJson.Options);
        r.EnsureSuccessStatusCode();
        var device = (await r.Content.ReadFromJsonAsync<DeviceRegistered>(TinySyncJson.Options))!;
        var v = await admin.PostAsJsonAsync("v1/vaults", new VaultRequest(name + "-vault"), TinySyncJson.Options);
        v.EnsureSuccessStatusCode();
        var vault = (await v.Content.ReadFromJsonAsync<VaultView>(TinySyncJson.Options))!;
        await GrantAsync(node, device.DeviceId, vault.VaultId);
        return (device, vault.VaultId);
    }

    /// <summary>Another device of the same vault.</summary>
    public static async Task<DeviceRegistered> PeerAsync(Uri node, Guid vaultId, string name = "peer")
    {
        using var admin = Client(node, TestServer.AdminTokenValue);
        var r = await admin.PostAsJsonAsync("v1/devices", new RegisterDeviceRequest(name), TinySyncJson.Options);
        r.EnsureSuccessStatusCode();
        var device = (await r.Content.ReadFromJsonAsync<DeviceRegistered>(TinySyncJson.Options))!;
        await GrantAsync(node, device.DeviceId, vaultId);
        return device;
    }

    static async Task GrantAsync(Uri node, Guid deviceId, Guid vaultId)
    {
        using var admin = Client(node, TestServer.AdminTokenValue);
        var group = "g-" + Guid.NewGuid().ToString("N");
        (await admin.PutAsync($"v1/groups/{group}/devices/{deviceId}", null)).EnsureSuccessStatusCode();
        (await admin.PutAsync($"v1/groups/{group}/vaults/{vaultId}", null)).EnsureSuccessStatusCode();
    }

    /// <summary>A sync client of <paramref name="device"/> talking to <paramref name="node"/>.</summary>
    public static SyncClient SyncClientOn(Uri node, DeviceRegistered device, Guid vaultId, TimeSpan? timeout = null) =>
        new(Client(node, device.Token, timeout), vaultId, device.DeviceId);
}
