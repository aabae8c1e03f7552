using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TinySync.Core.Contracts;
using TinySync.Core.Json;
using TinySync.Server.Hosting;

namespace TinySync.EndToEnd.Tests.Support;

/// <summary>
/// A real TinySync server in this process (Kestrel on an ephemeral 127.0.0.1 port, SQLite in a temp data dir), as in
/// the server's own tests. Restartable on the same data dir and port.
/// </summary>
public sealed class TestServer : IAsyncDisposable
{
    public const string AdminTokenValue = "tsadm_e2e-admin-token-0123456789abcdef";
    readonly TempDir _dir = new("tinysync-e2e-server");
    int _port;

    public string DataDir => _dir.Sub("data");
    public WebApplication App { get; private set; } = null!;
    public Uri BaseAddress { get; private set; } = null!;
    public string Url => BaseAddress.ToString().TrimEnd('/');

    public static async Task<TestServer> StartAsync()
    {
        var s = new TestServer();
        await s.StartCoreAsync();
        return s;
    }

    async Task StartCoreAsync()
    {
        // Explicit throttling limits (decision 0222): the suite registers its devices anonymously from loopback.
        var args = new[]
        {
            $"--urls=http://127.0.0.1:{_port}", $"--TINYSYNC_DATA_DIR={DataDir}", $"--TINYSYNC_ADMIN_TOKEN={AdminTokenValue}",
            "--TINYSYNC_REGISTRATIONS_PER_MINUTE=1000000", "--TINYSYNC_AUTH_FAILURES_PER_ADDRESS_PER_MINUTE=1000000",
            "--TINYSYNC_AUTH_FAILURES_PER_DEVICE_PER_MINUTE=1000000",
        };
        App = await TinySyncServer.BuildAsync(args, b => b.Logging.ClearProviders());
        await App.StartAsync();
        var address = App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address + "/");
        _port = BaseAddress.Port;
    }

    /// <summary>Stops the server (clients now see "connection refused").</summary>
    public async Task StopAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }

    /// <summary>Starts it again on the same port and data.</summary>
    public Task StartAgainAsync() => StartCoreAsync();

    public HttpClient Admin()
    {
        var c = new HttpClient { BaseAddress = BaseAddress };
        c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminTokenValue);
        return c;
    }

    public async Task<DeviceRegistered> RegisterAsync(string name)
    {
        using var c = new HttpClient { BaseAddress = BaseAddress };
        var r = await c.PostAsJsonAsync("v1/devices", new RegisterDeviceRequest(name), TinySyncJson.Options);
        r.EnsureSuccessStatusCode();
        return (await r.Content.ReadFromJsonAsync<DeviceRegistered>(TinySyncJson.Options))!;
    }

    public async Task<VaultView> CreateVaultAsync(string name)
    {
        using var c = Admin();
        var r = await c.PostAsJsonAsync("v1/vaults", new VaultRequest(name), TinySyncJson.Options);
        r.EnsureSuccessStatusCode();
        return (await r.Content.ReadFromJsonAsync<VaultView>(TinySyncJson.Options))!;
    }

    public async Task GrantAsync(Guid device, Guid vault)
    {
        var group = "g-" + Guid.NewGuid().ToString("N");
        using var c = Admin();
        (await c.PutAsync($"v1/groups/{group}/devices/{device}", null)).EnsureSuccessStatusCode();
        (await c.PutAsync($"v1/groups/{group}/vaults/{vault}", null)).EnsureSuccessStatusCode();
    }

    public async Task RevokeAsync(Guid device)
    {
        using var c = Admin();
        (await c.PostAsync($"v1/devices/{device}/revoke", null)).EnsureSuccessStatusCode();
    }

    public async ValueTask DisposeAsync()
    {
        try { await StopAsync(); } catch (ObjectDisposedException) { }
        _dir.Dispose();
    }
}
