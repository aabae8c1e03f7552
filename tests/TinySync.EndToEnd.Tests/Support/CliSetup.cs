using System.Text.Json;
using TinySync.Client.State;

namespace TinySync.EndToEnd.Tests.Support;

/// <summary>Devices for the real CLI: set up through the CLI itself (registered, in a group with a fresh vault, a folder
/// linked), or written as state directories for a server process.</summary>
public static class CliSetup
{
    /// <summary>Devices for the real CLI: a fresh vault on <paramref name="server"/> shared by <paramref name="names"/>,
    /// each with a state directory (identity, link) and a linked folder under <paramref name="dir"/>.</summary>
    public static async Task<List<(string Home, string Folder)>> CliDevicesAsync(this ServerProcess server, TempDir dir, params string[] names)
    {
        var (vault, devices) = await server.SetUpAsync(names);
        var result = new List<(string, string)>();
        foreach (var (reg, name) in devices)
        {
            var state = new StateDirectory(dir.Sub("home-" + name));
            state.SaveIdentity(new ClientIdentity { Server = server.Url, DeviceId = reg.DeviceId, Token = reg.Token, DisplayName = name });
            var folder = dir.Sub("folder-" + name);
            Directory.CreateDirectory(folder);
            state.AddLink(vault, null, "default", folder);
            result.Add((state.Root, folder));
        }
        return result;
    }

    public static string[] Admin(string url) => ["--server", url, "--admin-token", TestServer.AdminTokenValue];

    public static async Task<(string Home, string Folder, string Vault)> LinkedDeviceAsync(string url, TempDir dir, string name = "laptop")
    {
        string home = dir.Sub("home-" + name), folder = dir.Sub("folder-" + name);
        var (code, _, err) = await CliProcess.RunAsync(home, "register", "--server", url, "--name", name);
        code.ShouldBe(0, err);
        var device = JsonDocument.Parse(File.ReadAllText(Path.Combine(home, "identity.json"))).RootElement.GetProperty("device_id").GetString()!;
        (code, var output, err) = await CliProcess.RunAsync(home, ["admin", "vaults", "create", "v-" + name, "--json", .. Admin(url)]);
        code.ShouldBe(0, err);
        var vault = JsonDocument.Parse(output).RootElement.GetProperty("vault_id").GetString()!;
        (await CliProcess.RunAsync(home, ["admin", "groups", "add-vault", "g-" + name, vault, .. Admin(url)])).Code.ShouldBe(0);
        (await CliProcess.RunAsync(home, ["admin", "groups", "add-device", "g-" + name, device, .. Admin(url)])).Code.ShouldBe(0);
        (code, _, err) = await CliProcess.RunAsync(home, "link", vault, folder);
        code.ShouldBe(0, err);
        return (home, folder, vault);
    }
}
