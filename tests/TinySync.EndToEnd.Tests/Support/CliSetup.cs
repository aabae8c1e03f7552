using System.Text.Json;

namespace TinySync.EndToEnd.Tests.Support;

/// <summary>A device set up through the real CLI: registered, in a group with a fresh vault, a folder linked.</summary>
public static class CliSetup
{
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
