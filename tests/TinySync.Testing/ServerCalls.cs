using System.Net.Http.Headers;
using System.Net.Http.Json;
using TinySync.Core.Contracts;
using TinySync.Core.Json;

namespace TinySync.Testing;

/// <summary>A running TinySync server a test talks to over loopback HTTP: in this process or as an OS process.</summary>
public interface IRunningServer
{
    /// <summary>The server's root, ending in '/'.</summary>
    Uri BaseAddress { get; }

    /// <summary>The admin token the server accepts.</summary>
    string AdminToken { get; }
}

/// <summary>A server known only by its address (another node of a cluster), with the test admin token.</summary>
public sealed record ServerAt(Uri BaseAddress) : IRunningServer
{
    public string AdminToken => TestServer.AdminTokenValue;
}

/// <summary>
/// The admin and registration calls tests set themselves up with, written once for every kind of
/// <see cref="IRunningServer"/>. Raw HTTP on purpose: the server tests pin the wire.
/// </summary>
public static class ServerCalls
{
    public static HttpClient Client(this IRunningServer server, string? bearer = null) => server.Client(bearer, TimeSpan.FromSeconds(100));

    public static HttpClient Client(this IRunningServer server, string? bearer, TimeSpan timeout)
    {
        var c = new HttpClient { BaseAddress = server.BaseAddress, Timeout = timeout };
        if (bearer is not null) c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        return c;
    }

    public static HttpClient Admin(this IRunningServer server) => server.Client(server.AdminToken);

    /// <summary>Registers a device anonymously (open registration).</summary>
    public static async Task<DeviceRegistered> RegisterAsync(this IRunningServer server, string name = "test device")
    {
        using var c = server.Client();
        return await RegisterWithAsync(c, name);
    }

    /// <summary>Registers a device with the admin token (works with open registration off).</summary>
    public static async Task<DeviceRegistered> RegisterByAdminAsync(this IRunningServer server, string name = "test device")
    {
        using var c = server.Admin();
        return await RegisterWithAsync(c, name);
    }

    public static async Task<VaultView> CreateVaultAsync(this IRunningServer server, string name = "vault")
    {
        using var c = server.Admin();
        var r = await c.PostAsJsonAsync("v1/vaults", new VaultRequest(name), TinySyncJson.Options);
        r.EnsureSuccessStatusCode();
        return (await r.Content.ReadFromJsonAsync<VaultView>(TinySyncJson.Options))!;
    }

    public static async Task AddDeviceToGroupAsync(this IRunningServer server, string group, Guid device)
    {
        using var c = server.Admin();
        (await c.PutAsync($"v1/groups/{group}/devices/{device}", null)).EnsureSuccessStatusCode();
    }

    public static async Task AddVaultToGroupAsync(this IRunningServer server, string group, Guid vault)
    {
        using var c = server.Admin();
        (await c.PutAsync($"v1/groups/{group}/vaults/{vault}", null)).EnsureSuccessStatusCode();
    }

    /// <summary>Lets <paramref name="device"/> reach <paramref name="vault"/> through a fresh group.</summary>
    public static async Task GrantAsync(this IRunningServer server, Guid device, Guid vault)
    {
        var group = "g-" + Guid.NewGuid().ToString("N");
        await server.AddDeviceToGroupAsync(group, device);
        await server.AddVaultToGroupAsync(group, vault);
    }

    public static async Task RevokeAsync(this IRunningServer server, Guid device)
    {
        using var c = server.Admin();
        (await c.PostAsync($"v1/devices/{device}/revoke", null)).EnsureSuccessStatusCode();
    }

    /// <summary>A registered device that reaches a fresh vault through a fresh group.</summary>
    public static async Task<(DeviceRegistered Device, VaultView Vault)> DeviceWithVaultAsync(this IRunningServer server, string name = "device")
    {
        var device = await server.RegisterAsync(name);
        var vault = await server.CreateVaultAsync(name + "-vault");
        await server.GrantAsync(device.DeviceId, vault.VaultId);
        return (device, vault);
    }

    /// <summary>
    /// A fresh vault and devices <paramref name="names"/>, registered by the admin, all in the one group <c>g</c>: every
    /// device set up this way on a server reaches every vault set up this way on it (a later call with no names adds
    /// a second vault to the devices of an earlier one).
    /// </summary>
    public static async Task<(Guid Vault, List<(DeviceRegistered Device, string Name)> Devices)> SetUpAsync(this IRunningServer server, params string[] names)
    {
        const string group = "g";
        var vault = await server.CreateVaultAsync("proc");
        await server.AddVaultToGroupAsync(group, vault.VaultId);
        var devices = new List<(DeviceRegistered, string)>();
        foreach (var n in names)
        {
            var device = await server.RegisterByAdminAsync(n);
            await server.AddDeviceToGroupAsync(group, device.DeviceId);
            devices.Add((device, n));
        }
        return (vault.VaultId, devices);
    }

    static async Task<DeviceRegistered> RegisterWithAsync(HttpClient client, string name)
    {
        var r = await client.PostAsJsonAsync("v1/devices", new RegisterDeviceRequest(name), TinySyncJson.Options);
        r.EnsureSuccessStatusCode();
        return (await r.Content.ReadFromJsonAsync<DeviceRegistered>(TinySyncJson.Options))!;
    }
}
