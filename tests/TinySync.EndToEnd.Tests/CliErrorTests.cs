using System.Text.Json;

namespace TinySync.EndToEnd.Tests;

/// <summary>Errors a newcomer can act on (issue 15): each one line that names the next step.</summary>
public sealed class CliErrorTests
{
    static void OneLine(string err, string expected)
    {
        var lines = err.Trim().Split('\n');
        lines.Length.ShouldBe(1, err);
        lines[0].ShouldContain(expected);
    }

    [Fact]
    public async Task A_server_without_a_scheme_is_refused_with_the_url_to_write_instead()
    {
        using var dir = new TempDir();
        var (code, _, err) = await CliProcess.RunAsync(dir.Sub("home"), "register", "--server", "127.0.0.1:5000", "--name", "x");
        code.ShouldBe(1);
        OneLine(err, "write it with its scheme, e.g. --server http://127.0.0.1:5000");
        File.Exists(Path.Combine(dir.Sub("home"), "identity.json")).ShouldBeFalse();
    }

    [Fact]
    public async Task Https_against_a_plain_http_port_says_to_use_http()
    {
        await using var server = await TestServer.StartAsync();
        using var dir = new TempDir();
        var https = server.Url.Replace("http://", "https://", StringComparison.Ordinal);
        var (code, _, err) = await CliProcess.RunAsync(dir.Sub("home"), "register", "--server", https, "--name", "x");
        code.ShouldBe(1);
        OneLine(err, "use http:// instead of https://");
        (code, _, err) = await CliProcess.RunAsync(dir.Sub("home"), "login", "--server", https, "--token", TinySync.Core.Identity.DeviceToken.Generate(Guid.CreateVersion7()).Reveal());
        code.ShouldBe(1);
        OneLine(err, "plain HTTP on that port, use http://");
    }

    [Fact]
    public async Task Linking_a_file_and_a_bad_vault_id_name_what_to_give_instead()
    {
        await using var server = await TestServer.StartAsync();
        using var dir = new TempDir();
        var (home, _, vault) = await CliSetup.LinkedDeviceAsync(server.Url, dir);
        var file = Path.Combine(dir.Path, "some-file");
        File.WriteAllText(file, "x");
        var (code, _, err) = await CliProcess.RunAsync(home, "link", vault, file);
        code.ShouldBe(1);
        OneLine(err, "is a file, not a folder; link a folder");
        File.ReadAllText(file).ShouldBe("x");

        (code, _, err) = await CliProcess.RunAsync(home, ["admin", "groups", "add-vault", "g", "not-a-vault", .. CliSetup.Admin(server.Url)]);
        code.ShouldBe(2);
        OneLine(err, "'not-a-vault' is not a vault id");
        err.ShouldContain("`tinysync admin vaults list`");
    }

    [Fact]
    public async Task Register_over_an_identity_refuses_without_replace_and_replace_revokes_the_old_device()
    {
        await using var server = await TestServer.StartAsync();
        using var dir = new TempDir();
        var home = dir.Sub("home");
        (await CliProcess.RunAsync(home, "register", "--server", server.Url, "--name", "first")).Code.ShouldBe(0);
        var first = JsonDocument.Parse(File.ReadAllText(Path.Combine(home, "identity.json"))).RootElement.GetProperty("device_id").GetString()!;

        var (code, _, err) = await CliProcess.RunAsync(home, "register", "--server", server.Url, "--name", "second");
        code.ShouldBe(1);
        OneLine(err, "add --replace to revoke it and register anew");
        JsonDocument.Parse(File.ReadAllText(Path.Combine(home, "identity.json"))).RootElement.GetProperty("device_id").GetString().ShouldBe(first);

        (code, var output, err) = await CliProcess.RunAsync(home, "register", "--server", server.Url, "--name", "second", "--replace");
        code.ShouldBe(0, err);
        output.ShouldContain($"revoked the old device 'first' ({first})");
        (code, output, err) = await CliProcess.RunAsync(home, ["admin", "devices", "show", first, .. CliSetup.Admin(server.Url)]);
        code.ShouldBe(0, err);
        JsonDocument.Parse(output).RootElement.GetProperty("revoked_at").ValueKind.ShouldNotBe(JsonValueKind.Null);
    }
}
