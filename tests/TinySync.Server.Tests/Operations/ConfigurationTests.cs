using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TinySync.Server.Tests.Support;

namespace TinySync.Server.Tests.Operations;

/// <summary>Settings bind from the TinySync section of every .NET source; the console logs can be JSON.</summary>
public class ConfigurationTests
{
    [Fact]
    public async Task Settings_bind_from_appsettings_json_the_environment_and_the_command_line_with_the_command_line_winning()
    {
        using var dir = new TempDir("tinysync-config");
        var contentRoot = dir.Sub("root");
        Directory.CreateDirectory(contentRoot);
        await File.WriteAllTextAsync(Path.Combine(contentRoot, "appsettings.json"), """{ "TinySync": { "OpenDeviceRegistration": false } }""");
        const string adminFromEnvironment = "tsadm_from-the-environment-0123456789";
        var dataFromCommandLine = dir.Sub("data-from-command-line");
        await using var server = new ServerProcess(dir.Sub("data-from-alias"), new Dictionary<string, string>
        {
            ["TinySync__AdminToken"] = adminFromEnvironment, // beside the TINYSYNC_ADMIN_TOKEN alias ServerProcess sets: the TinySync name wins
        })
        {
            WorkingDirectory = contentRoot,
            Arguments = { $"--TinySync:DataDir={dataFromCommandLine}" }, // beats TINYSYNC_DATA_DIR from the environment
        };
        await server.StartAsync();

        using (var anonymous = server.Client())
            (await anonymous.PostAsJsonAsync("v1/devices", new { display_name = "laptop" })).StatusCode.ShouldBe(HttpStatusCode.Unauthorized, "appsettings.json closed registration");
        using (var admin = server.Client(adminFromEnvironment))
            (await admin.PostAsJsonAsync("v1/devices", new { display_name = "laptop" })).StatusCode.ShouldBe(HttpStatusCode.Created, "the admin token came from TinySync__AdminToken");
        using (var alias = server.Client(TestServer.AdminTokenValue))
            (await alias.GetAsync("v1/vaults")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        File.Exists(Path.Combine(dataFromCommandLine, "tinysync.db")).ShouldBeTrue("the data dir came from --TinySync:DataDir");
        Directory.Exists(dir.Sub("data-from-alias")).ShouldBeFalse();
    }

    [Fact]
    public async Task The_old_TINYSYNC_names_still_work_as_aliases()
    {
        using var dir = new TempDir("tinysync-config");
        await using var server = new ServerProcess(dir.Sub("data"), new Dictionary<string, string> { ["TINYSYNC_OPEN_DEVICE_REGISTRATION"] = "no" });
        await server.StartAsync();
        using var anonymous = server.Client();
        (await anonymous.PostAsJsonAsync("v1/devices", new { display_name = "laptop" })).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        File.Exists(Path.Combine(dir.Sub("data"), "tinysync.db")).ShouldBeTrue();
    }

    [Fact]
    public async Task Json_console_logs_are_selected_by_configuration_and_every_line_parses()
    {
        using var dir = new TempDir("tinysync-config");
        await using var server = new ServerProcess(dir.Sub("data"), new Dictionary<string, string> { ["Logging__Console__FormatterName"] = "json" });
        await server.StartAsync();
        await server.StopAsync();

        var lines = server.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        lines.Length.ShouldBeGreaterThan(2, server.Output);
        var categories = new List<string>();
        foreach (var line in lines)
        {
            using var entry = JsonDocument.Parse(line); // throws on a line that is not JSON
            entry.RootElement.GetProperty("LogLevel").GetString().ShouldNotBeNullOrEmpty();
            entry.RootElement.GetProperty("Message").GetString().ShouldNotBeNull();
            categories.Add(entry.RootElement.GetProperty("Category").GetString()!);
        }
        categories.ShouldContain("TinySync.Server");
        server.Output.ShouldNotContain(TestServer.AdminTokenValue);
    }
}
