using System.Diagnostics;
using System.Text.Json;
using TinySync.Core.Chunking;

namespace TinySync.EndToEnd.Tests;

public sealed class CliTests
{
    [Fact]
    public async Task The_cli_registers_links_syncs_restores_and_logs_out()
    {
        await using var server = await TestServer.StartAsync();
        using var dir = new TempDir();
        string homeA = dir.Sub("homeA"), homeB = dir.Sub("homeB"), folderA = dir.Sub("A"), folderB = dir.Sub("B");
        var admin = new[] { "--server", server.Url, "--admin-token", TestServer.AdminTokenValue };

        var (code, output, err) = await CliProcess.RunAsync(homeA, "register", "--server", server.Url, "--name", "laptop");
        code.ShouldBe(0, err);
        output.ShouldContain("_***");
        var identity = File.ReadAllText(Path.Combine(homeA, "identity.json"));
        (File.GetUnixFileMode(Path.Combine(homeA, "identity.json")) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead)).ShouldBe((UnixFileMode)0);
        var token = JsonDocument.Parse(identity).RootElement.GetProperty("token").GetString()!;
        output.ShouldNotContain(token);
        var deviceA = JsonDocument.Parse(identity).RootElement.GetProperty("device_id").GetString()!;

        // the admin side, through `tinysync admin` (the management client)
        (code, output, err) = await CliProcess.RunAsync(homeA, ["admin", "vaults", "create", "team", .. admin]);
        code.ShouldBe(0, err);
        var vault = JsonDocument.Parse(output).RootElement.GetProperty("vault_id").GetString()!;
        (await CliProcess.RunAsync(homeA, ["admin", "groups", "add-vault", "team", vault, .. admin])).Code.ShouldBe(0);
        (await CliProcess.RunAsync(homeA, ["admin", "groups", "add-device", "team", deviceA, .. admin])).Code.ShouldBe(0);

        // B adopts a token the platform issued
        (code, output, err) = await CliProcess.RunAsync(homeA, ["admin", "devices", "register", "desktop", .. admin]);
        code.ShouldBe(0, err);
        var reg = JsonDocument.Parse(output).RootElement;
        (await CliProcess.RunAsync(homeA, ["admin", "groups", "add-device", "team", reg.GetProperty("device_id").GetString()!, .. admin])).Code.ShouldBe(0);
        (code, output, err) = await CliProcess.RunAsync(homeB, "login", "--server", server.Url, "--token", reg.GetProperty("token").GetString()!);
        code.ShouldBe(0, err);
        output.ShouldContain("desktop");

        (code, output, _) = await CliProcess.RunAsync(homeA, "vaults");
        output.ShouldContain("team");
        (await CliProcess.RunAsync(homeA, "link", "team", folderA)).Code.ShouldBe(0);
        (await CliProcess.RunAsync(homeB, "link", vault, folderB)).Code.ShouldBe(0);
        (code, _, err) = await CliProcess.RunAsync(homeB, "link", vault, Path.Combine(folderB, "inner"));
        code.ShouldBe(1);
        err.ShouldContain("inside the linked folder");

        File.WriteAllText(Path.Combine(folderA, "doc.txt"), "version 1");
        (code, _, err) = await CliProcess.RunAsync(homeA, "sync");
        code.ShouldBe(0, err);
        File.WriteAllText(Path.Combine(folderA, "doc.txt"), "version 2");
        (await CliProcess.RunAsync(homeA, "sync")).Code.ShouldBe(0);
        (await CliProcess.RunAsync(homeB, "sync")).Code.ShouldBe(0);
        File.ReadAllText(Path.Combine(folderB, "doc.txt")).ShouldBe("version 2");

        (code, output, err) = await CliProcess.RunAsync(homeB, "history", Path.Combine(folderB, "doc.txt"));
        code.ShouldBe(0, err);
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBe(2);
        (code, output, err) = await CliProcess.RunAsync(homeB, "restore", Path.Combine(folderB, "doc.txt"));
        code.ShouldBe(0, err);
        File.ReadAllText(Path.Combine(folderB, "doc.txt")).ShouldBe("version 1");

        (code, output, _) = await CliProcess.RunAsync(homeB, "status");
        output.ShouldContain(folderB);
        (await CliProcess.RunAsync(homeB, "conflicts")).Out.ShouldContain("no conflict copies");
        (await CliProcess.RunAsync(homeB, "whoami")).Out.ShouldContain("desktop");

        // revoked from the admin side: sync says what to do and exits 4
        (await CliProcess.RunAsync(homeA, ["admin", "devices", "revoke", reg.GetProperty("device_id").GetString()!, .. admin])).Code.ShouldBe(0);
        (code, _, err) = await CliProcess.RunAsync(homeB, "sync");
        code.ShouldBe(4);
        // the error is the last line (a slow run may print a progress line before it, decision 0432)
        err.Trim().Split('\n')[^1].ShouldBe("tinysync: this device was revoked; run `tinysync register` or `tinysync login` again");

        // logout revokes A itself
        (await CliProcess.RunAsync(homeA, "logout")).Code.ShouldBe(0);
        File.Exists(Path.Combine(homeA, "identity.json")).ShouldBeFalse();
        (await CliProcess.RunAsync(homeA, "sync")).Code.ShouldBe(4);
    }

    [Fact]
    public async Task An_unreachable_server_is_one_line_and_exit_3()
    {
        using var dir = new TempDir();
        var (code, _, err) = await CliProcess.RunAsync(dir.Sub("home"), "login", "--server", "http://127.0.0.1:9", "--token", "tsdev_0190a0e4-0000-7000-8000-000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        code.ShouldBe(3);
        err.Trim().Split('\n').Length.ShouldBe(1);
        err.ShouldContain("unreachable (connection refused)");
    }

    [Fact]
    public async Task Killing_the_client_mid_download_and_mid_upload_leaves_no_torn_file_and_the_next_run_converges()
    {
        await using var c = await Cluster.StartAsync();
        var data = new byte[48 * 1024 * 1024];
        new Random(1).NextBytes(data);
        File.WriteAllText(c.A.PathOf("big.bin"), "old small version");
        await c.SyncAllAsync();

        // mid-upload: kill A's `tinysync sync` once the server holds one of the new chunks, while it sends the others
        await File.WriteAllBytesAsync(c.A.PathOf("big.bin"), data);
        var chunks = FastCdc.Default.Chunk(data).Select(ch => ch.Hash).Distinct().ToList();
        using (var p = Process.Start(CliProcess.Start(c.A.Home, "sync"))!)
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (DateTime.UtcNow < deadline && !p.HasExited && !await AnyStoredAsync(c.Server, chunks)) await Task.Delay(5);
            p.HasExited.ShouldBeFalse("the upload ended before it could be killed");
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
        }
        (await AnyStoredAsync(c.Server, chunks)).ShouldBeTrue("the kill came before the upload started");
        (await AllStoredAsync(c.Server, chunks)).ShouldBeFalse("the kill came after the upload had finished");
        var (code, _, err) = await CliProcess.RunAsync(c.A.Home, "sync");
        code.ShouldBe(0, err);

        // mid-download: kill B's `tinysync sync` once its temporary file exists
        using (var p = Process.Start(CliProcess.Start(c.B.Home, "sync"))!)
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (DateTime.UtcNow < deadline && !Directory.EnumerateFiles(c.B.Folder, ".tinysync-tmp-*").Any() && !p.HasExited) await Task.Delay(5);
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
        }
        // the old file or the new one, never a mix
        var now = File.ReadAllBytes(c.B.PathOf("big.bin"));
        (now.AsSpan().SequenceEqual("old small version"u8) || now.AsSpan().SequenceEqual(data)).ShouldBeTrue();
        (code, _, err) = await CliProcess.RunAsync(c.B.Home, "sync");
        code.ShouldBe(0, err);
        File.ReadAllBytes(c.B.PathOf("big.bin")).ShouldBe(data);
        Directory.EnumerateFiles(c.B.Folder, ".tinysync-tmp-*").ShouldBeEmpty();
    }

    static async Task<bool> AnyStoredAsync(TestServer server, IEnumerable<string> chunks)
    {
        foreach (var hash in chunks) if (await server.ChunkStoredAsync(hash)) return true;
        return false;
    }

    static async Task<bool> AllStoredAsync(TestServer server, IEnumerable<string> chunks)
    {
        foreach (var hash in chunks) if (!await server.ChunkStoredAsync(hash)) return false;
        return true;
    }
}
