using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace TinySync.EndToEnd.Tests;

/// <summary>The scriptable CLI (issue 14): --json shapes, completion, typo suggestions, token files, Retry-After.</summary>
public sealed class CliScriptingTests
{
    static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement;

    static void HasShape(JsonElement e, params (string Name, JsonValueKind Kind)[] fields)
    {
        foreach (var (name, kind) in fields)
        {
            e.TryGetProperty(name, out var v).ShouldBeTrue($"missing '{name}' in {e}");
            v.ValueKind.ShouldBe(kind, $"'{name}' in {e}");
        }
    }

    [Fact]
    public async Task Every_reporting_command_prints_json_of_the_documented_shape()
    {
        await using var server = await TestServer.StartAsync();
        using var dir = new TempDir();
        var (home, folder, vault) = await CliSetup.LinkedDeviceAsync(server.Url, dir);
        File.WriteAllText(Path.Combine(folder, "doc.txt"), "one");
        (await CliProcess.RunAsync(home, "sync")).Code.ShouldBe(0);
        File.WriteAllText(Path.Combine(folder, "doc.txt"), "two");
        (await CliProcess.RunAsync(home, "sync")).Code.ShouldBe(0);

        var (code, output, err) = await CliProcess.RunAsync(home, "status", "--json");
        code.ShouldBe(0, err);
        var status = Json(output);
        HasShape(status, ("state_dir", JsonValueKind.String), ("device", JsonValueKind.Object), ("links", JsonValueKind.Array));
        HasShape(status.GetProperty("device"), ("device_id", JsonValueKind.String), ("name", JsonValueKind.String), ("server", JsonValueKind.String), ("token", JsonValueKind.String));
        status.GetProperty("device").GetProperty("token").GetString()!.ShouldEndWith("_***");
        var link = status.GetProperty("links")[0];
        HasShape(link, ("link_id", JsonValueKind.String), ("directory", JsonValueKind.String), ("vault_id", JsonValueKind.String), ("container", JsonValueKind.String),
            ("cursor", JsonValueKind.Number), ("items", JsonValueKind.Number), ("remote_items", JsonValueKind.Number), ("last_sync", JsonValueKind.String));
        link.GetProperty("vault_id").GetString().ShouldBe(vault);
        DateTimeOffset.Parse(link.GetProperty("last_sync").GetString()!, System.Globalization.CultureInfo.InvariantCulture).ShouldBeGreaterThan(DateTimeOffset.UtcNow.AddMinutes(-5));

        (code, output, err) = await CliProcess.RunAsync(home, "vaults", "--json");
        code.ShouldBe(0, err);
        var v = Json(output).GetProperty("vaults")[0];
        HasShape(v, ("vault_id", JsonValueKind.String), ("name", JsonValueKind.String), ("head", JsonValueKind.Number), ("containers", JsonValueKind.Array), ("links", JsonValueKind.Array));
        v.GetProperty("links")[0].GetProperty("directory").GetString().ShouldBe(folder);

        (code, output, err) = await CliProcess.RunAsync(home, "whoami", "--json");
        code.ShouldBe(0, err);
        var me = Json(output);
        HasShape(me, ("device_id", JsonValueKind.String), ("name", JsonValueKind.String), ("server", JsonValueKind.String), ("token", JsonValueKind.String),
            ("groups", JsonValueKind.Array), ("vaults", JsonValueKind.Array));
        me.GetProperty("vaults")[0].GetProperty("vault_id").GetString().ShouldBe(vault);

        (code, output, err) = await CliProcess.RunAsync(home, "conflicts", "--json");
        code.ShouldBe(0, err);
        Json(output).GetProperty("conflicts").GetArrayLength().ShouldBe(0);

        (code, output, err) = await CliProcess.RunAsync(home, "history", Path.Combine(folder, "doc.txt"), "--json");
        code.ShouldBe(0, err);
        var history = Json(output);
        HasShape(history, ("path", JsonValueKind.String), ("vault_id", JsonValueKind.String), ("container", JsonValueKind.String), ("versions", JsonValueKind.Array));
        history.GetProperty("versions").GetArrayLength().ShouldBe(2);
        HasShape(history.GetProperty("versions")[0], ("seq", JsonValueKind.Number), ("committed_at", JsonValueKind.String), ("kind", JsonValueKind.String),
            ("size", JsonValueKind.Number), ("device_id", JsonValueKind.String), ("device_name", JsonValueKind.String), ("path", JsonValueKind.String),
            ("moved_from", JsonValueKind.Null));
        history.GetProperty("versions")[0].GetProperty("kind").GetString().ShouldBe("put");

        (code, output, err) = await CliProcess.RunAsync(home, ["admin", "devices", "list", "--json", .. CliSetup.Admin(server.Url)]);
        code.ShouldBe(0, err);
        Json(output).ValueKind.ShouldBe(JsonValueKind.Array);
    }

    [Fact]
    public async Task Completion_scripts_are_printed_for_three_shells_and_the_bash_one_completes_a_command()
    {
        using var dir = new TempDir();
        var home = dir.Sub("home");
        foreach (var shell in new[] { "bash", "zsh", "fish" })
        {
            var (code, output, err) = await CliProcess.RunAsync(home, "completion", shell);
            code.ShouldBe(0, err);
            output.ShouldContain("[suggest:");
        }
        (await CliProcess.RunAsync(home, "completion", "powershell")).Code.ShouldBe(2);

        // a `tinysync` on the PATH, as after `dotnet tool install`, then bash's completion of "tinysync syn"
        var bin = Directory.CreateDirectory(dir.Sub("bin")).FullName;
        var shim = Path.Combine(bin, "tinysync");
        File.WriteAllText(shim, $"#!/bin/sh\nexec dotnet '{CliProcess.Dll}' \"$@\"\n");
        File.SetUnixFileMode(shim, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("""source <(tinysync completion bash); COMP_LINE="tinysync syn"; COMP_POINT=12; COMP_WORDS=(tinysync syn); COMP_CWORD=1; _tinysync_complete; echo "${COMPREPLY[*]}" """);
        psi.Environment["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH");
        psi.Environment["TINYSYNC_HOME"] = home;
        using var p = Process.Start(psi)!;
        var completed = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        completed.Trim().ShouldBe("sync", await p.StandardError.ReadToEndAsync());
    }

    [Fact]
    public async Task A_mistyped_command_gets_a_suggestion()
    {
        using var dir = new TempDir();
        var (code, _, err) = await CliProcess.RunAsync(dir.Sub("home"), "synk");
        code.ShouldBe(2);
        err.ShouldContain("did you mean `sync`?");
    }

    [Fact]
    public async Task Login_reads_the_token_from_a_file_or_from_stdin_and_admin_commands_read_theirs_from_a_file()
    {
        await using var server = await TestServer.StartAsync();
        using var dir = new TempDir();
        var adminFile = Path.Combine(dir.Path, "admin-token");
        File.WriteAllText(adminFile, TestServer.AdminTokenValue + "\n");
        var tokens = new List<string>();
        foreach (var name in new[] { "a", "b" })
        {
            var (code, output, err) = await CliProcess.RunAsync(dir.Sub("admin"), "admin", "--server", server.Url, "--admin-token-file", adminFile, "devices", "register", name);
            code.ShouldBe(0, err);
            tokens.Add(Json(output).GetProperty("token").GetString()!);
        }
        var tokenFile = Path.Combine(dir.Path, "token");
        File.WriteAllText(tokenFile, tokens[0] + "\n");
        var (c1, o1, e1) = await CliProcess.RunAsync(dir.Sub("home-a"), "login", "--server", server.Url, "--token-file", tokenFile);
        c1.ShouldBe(0, e1);
        o1.ShouldContain("device 'a'");
        o1.ShouldNotContain(tokens[0]);
        var (c2, o2, e2) = await CliProcess.RunWithInputAsync(dir.Sub("home-b"), tokens[1] + "\n", "login", "--server", server.Url, "--token-file", "-");
        c2.ShouldBe(0, e2);
        o2.ShouldContain("device 'b'");
        var (c3, _, e3) = await CliProcess.RunAsync(dir.Sub("home-c"), "login", "--server", server.Url, "--token-file", Path.Combine(dir.Path, "missing"));
        c3.ShouldBe(1);
        e3.ShouldContain("cannot read the device token from");
    }

    [Fact]
    public async Task A_503_with_Retry_After_is_retried_no_sooner_than_the_server_asked()
    {
        // a fake server: the only way to get 503 + Retry-After on demand
        var hits = new List<DateTime>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var app = builder.Build();
        app.Run(async ctx =>
        {
            int n;
            lock (hits)
            {
                hits.Add(DateTime.UtcNow);
                n = hits.Count;
            }
            if (n <= 2)
            {
                ctx.Response.StatusCode = (int)HttpStatusCode.ServiceUnavailable;
                ctx.Response.Headers.RetryAfter = "2";
                return;
            }
            ctx.Response.StatusCode = 401; // then refuse the token: the sync stops with exit 4
            ctx.Response.ContentType = "application/problem+json";
            await ctx.Response.WriteAsync("""{"type":"about:blank","title":"Unauthorized","status":401,"code":"device_revoked"}""");
        });
        await app.StartAsync();
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        using var dir = new TempDir();
        var home = dir.Sub("home");
        var device = Guid.CreateVersion7();
        var state = new TinySync.Client.State.StateDirectory(home);
        state.SaveIdentity(new TinySync.Client.State.ClientIdentity
        {
            Server = url, DeviceId = device, Token = TinySync.Core.Identity.DeviceToken.Generate(device).Reveal(), DisplayName = "fake",
        });
        state.AddLink(Guid.NewGuid(), null, "default", Directory.CreateDirectory(dir.Sub("folder")).FullName);
        var (code, _, err) = await CliProcess.RunAsync(home, "sync");
        code.ShouldBe(4, err);
        err.ShouldContain("server busy (503), retry 1 in");
        hits.Count.ShouldBe(3);
        (hits[1] - hits[0]).ShouldBeGreaterThanOrEqualTo(TimeSpan.FromSeconds(1.95));
        (hits[2] - hits[1]).ShouldBeGreaterThanOrEqualTo(TimeSpan.FromSeconds(1.95));
    }
}
