using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using TinySync.Core.Contracts;
using TinySync.Core.Json;

namespace TinySync.EndToEnd.Tests.Support;

/// <summary>The real <c>tinysync-server</c> as an OS process on a fixed loopback port, for <c>kill -9</c> mid-sync.</summary>
public sealed class ServerProcess : IAsyncDisposable
{
    readonly TempDir _dir = new("tinysync-e2e-serverproc");
    Process? _process;

    public ServerProcess()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        Port = ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public int Port { get; }
    public string Url => $"http://127.0.0.1:{Port}";

    public async Task StartAsync()
    {
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "tinysync-server.dll"));
        psi.ArgumentList.Add("--urls");
        psi.ArgumentList.Add(Url);
        psi.Environment["TINYSYNC_DATA_DIR"] = _dir.Sub("data");
        psi.Environment["TINYSYNC_ADMIN_TOKEN"] = TestServer.AdminTokenValue;
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if ((await http.GetAsync(Url + "/healthz")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(50);
        }
        throw new TimeoutException("the server process did not become healthy");
    }

    /// <summary>SIGKILL: no shutdown, no flush.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false }) _process.Kill(entireProcessTree: true);
        _process?.WaitForExit();
    }

    /// <summary>A device registered and granted a fresh vault shared by <paramref name="names"/>.</summary>
    public async Task<(Guid Vault, List<(DeviceRegistered Device, string Name)> Devices)> SetUpAsync(params string[] names)
    {
        using var admin = new HttpClient { BaseAddress = new Uri(Url + "/") };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestServer.AdminTokenValue);
        var v = await (await admin.PostAsJsonAsync("v1/vaults", new VaultRequest("proc"), TinySyncJson.Options)).Content.ReadFromJsonAsync<VaultView>(TinySyncJson.Options);
        (await admin.PutAsync($"v1/groups/g/vaults/{v!.VaultId}", null)).EnsureSuccessStatusCode();
        var devices = new List<(DeviceRegistered, string)>();
        foreach (var n in names)
        {
            var r = await (await admin.PostAsJsonAsync("v1/devices", new RegisterDeviceRequest(n), TinySyncJson.Options)).Content.ReadFromJsonAsync<DeviceRegistered>(TinySyncJson.Options);
            (await admin.PutAsync($"v1/groups/g/devices/{r!.DeviceId}", null)).EnsureSuccessStatusCode();
            devices.Add((r, n));
        }
        return (v.VaultId, devices);
    }

    /// <summary>Devices for the real CLI: a fresh vault shared by <paramref name="names"/>, each with a state directory
    /// (identity, link) and a linked folder under <paramref name="dir"/>.</summary>
    public async Task<List<(string Home, string Folder)>> CliDevicesAsync(TempDir dir, params string[] names)
    {
        var (vault, devices) = await SetUpAsync(names);
        var result = new List<(string, string)>();
        foreach (var (reg, name) in devices)
        {
            var state = new TinySync.Client.State.StateDirectory(dir.Sub("home-" + name));
            state.SaveIdentity(new TinySync.Client.State.ClientIdentity { Server = Url, DeviceId = reg.DeviceId, Token = reg.Token, DisplayName = name });
            var folder = dir.Sub("folder-" + name);
            Directory.CreateDirectory(folder);
            state.AddLink(vault, null, "default", folder);
            result.Add((state.Root, folder));
        }
        return result;
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        _process?.Dispose();
        _dir.Dispose();
        await Task.CompletedTask;
    }
}
