using System.Text.Json;
using TinySync.Server.Tests.Support;

namespace TinySync.Server.Tests.OpenApi;

/// <summary>
/// The OpenAPI document is valid (Redocly's recommended rules, zero errors) and true: a client that builds its
/// requests from the document alone talks to a real server process.
/// </summary>
public sealed class OpenApiDocumentTests
{
    [Fact]
    public async Task The_document_lints_clean_with_redocly_and_declares_security_and_every_path_parameter()
    {
        var redocly = Repository.Tool("TINYSYNC_TEST_REDOCLY", "redocly.sh");
        await using var server = await TestServer.StartAsync();
        using var http = server.Client();
        var text = await http.GetStringAsync("openapi/v1.json");
        using var dir = new TempDir("tinysync-openapi");
        var file = dir.Sub("openapi.json");
        await File.WriteAllTextAsync(file, text);

        var (exit, stdout, stderr) = await Repository.RunAsync(redocly, ["lint", file, "--format=stylish"],
            new Dictionary<string, string> { ["REDOCLY_TELEMETRY"] = "off", ["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true" });
        exit.ShouldBe(0, stdout + stderr);
        (stdout + stderr).ShouldContain("Your API description is valid");

        using var doc = JsonDocument.Parse(text);
        var root = doc.RootElement;
        TypesAllowingNumbersAsStrings(root).ShouldBeEmpty("the server refuses \"0\" for a number; the document must not allow it");
        root.GetProperty("components").GetProperty("securitySchemes").EnumerateObject().Select(s => s.Name).ShouldBe(["deviceToken", "adminToken"], ignoreOrder: true);
        var commit = root.GetProperty("paths").GetProperty("/v1/vaults/{vid}/ops").GetProperty("post");
        commit.GetProperty("operationId").GetString().ShouldBe("commitOps");
        commit.GetProperty("parameters").EnumerateArray().ShouldContain(p => p.GetProperty("name").GetString() == "vid" && p.GetProperty("in").GetString() == "path");
        commit.GetProperty("security")[0].TryGetProperty("deviceToken", out _).ShouldBeTrue();
        foreach (var path in root.GetProperty("paths").EnumerateObject())
            foreach (var op in path.Value.EnumerateObject())
            {
                op.Value.GetProperty("summary").GetString().ShouldNotBeNullOrWhiteSpace($"{op.Name} {path.Name}");
                op.Value.GetProperty("operationId").GetString().ShouldNotBeNullOrWhiteSpace($"{op.Name} {path.Name}");
            }
    }

    static IEnumerable<string> TypesAllowingNumbersAsStrings(JsonElement e, string where = "$")
    {
        if (e.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in e.EnumerateObject())
            {
                if (p.Name == "type" && p.Value.ValueKind == JsonValueKind.Array)
                {
                    var types = p.Value.EnumerateArray().Select(t => t.GetString()).ToList();
                    if (types.Contains("string") && (types.Contains("integer") || types.Contains("number"))) yield return where;
                }
                foreach (var found in TypesAllowingNumbersAsStrings(p.Value, where + "." + p.Name)) yield return found;
            }
        }
        else if (e.ValueKind == JsonValueKind.Array)
        {
            var i = 0;
            foreach (var item in e.EnumerateArray())
                foreach (var found in TypesAllowingNumbersAsStrings(item, $"{where}[{i++}]")) yield return found;
        }
    }

    [Fact]
    public async Task A_client_built_from_the_document_registers_creates_a_vault_commits_and_reads_the_log_on_a_real_server()
    {
        using var dir = new TempDir("tinysync-openapi");
        await using var server = new ServerProcess(dir.Sub("data"));
        await server.StartAsync();
        var script = Path.Combine(Repository.Root, "tests", "TinySync.Server.Tests", "OpenApi", "document_client.py");

        var (exit, stdout, stderr) = await Repository.RunAsync("python3", [script, server.BaseAddress.ToString(), TestServer.AdminTokenValue]);

        exit.ShouldBe(0, stdout + stderr);
        var calls = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        calls.Select(c => c.GetProperty("operation").GetString()).ShouldBe(
            ["registerDevice", "createVault", "putGroup", "addGroupDevice", "addGroupVault", "getMe", "commitOps", "readLog", "readLog"]);
        calls[6].GetProperty("path").GetString()!.ShouldStartWith("/v1/vaults/");
    }
}
