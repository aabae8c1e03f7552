using PlatformService.Tests.Support;

namespace PlatformService.Tests;

/// <summary>
/// The whole integration with real processes of the client: the Platform Service issues device tokens through
/// "Set up Drive", `tinysync login` adopts them, and the devices sync the workspace vault; a user who leaves the
/// workspace can no longer sync it.
/// </summary>
public sealed class CliLoginTests
{
    [Fact]
    public async Task Tokens_from_Set_up_Drive_adopted_by_tinysync_login_sync_the_workspace_vault()
    {
        await using var server = await TestServer.StartAsync(s => s["TINYSYNC_OPEN_DEVICE_REGISTRATION"] = "false");
        await using var pg = await Playground.StartAsync(server.BaseAddress, server.AdminToken);
        var ada = await pg.CreateUserAsync("ada");
        var bob = await pg.CreateUserAsync("bob");
        await pg.CreateWorkspaceAsync("acme");
        await pg.FireOkAsync(new { id = "join-ada", type = "user.joined_workspace", user_id = "ada", workspace_id = "acme" });
        await pg.FireOkAsync(new { id = "join-bob", type = "user.joined_workspace", user_id = "bob", workspace_id = "acme" });
        var (_, adaToken, _) = await pg.SetUpDriveAsync("ada", ada, "Ada's laptop");
        var (_, bobToken, _) = await pg.SetUpDriveAsync("bob", bob, "Bob's desktop");

        using var dir = new TempDir("tinysync-login");
        var (homeA, homeB) = (dir.Sub("home-a"), dir.Sub("home-b"));
        var (folderA, folderB) = (dir.Sub("folder-a"), dir.Sub("folder-b"));
        var url = server.BaseAddress.AbsoluteUri;
        await ShouldSucceedAsync(homeA, "login", "--server", url, "--token", adaToken);
        await ShouldSucceedAsync(homeB, "login", "--server", url, "--token", bobToken);

        var (_, me) = await Playground.MeAsync(server.BaseAddress, adaToken);
        var vault = me!.Vaults.ShouldHaveSingleItem().VaultId.ToString();
        await ShouldSucceedAsync(homeA, "link", vault, folderA);
        await ShouldSucceedAsync(homeB, "link", vault, folderB);

        await File.WriteAllTextAsync(Path.Combine(folderA, "plan.md"), "written on Ada's laptop");
        Directory.CreateDirectory(Path.Combine(folderA, "notes"));
        await ShouldSucceedAsync(homeA, "sync");
        await ShouldSucceedAsync(homeB, "sync");
        (await File.ReadAllTextAsync(Path.Combine(folderB, "plan.md"))).ShouldBe("written on Ada's laptop");
        Directory.Exists(Path.Combine(folderB, "notes")).ShouldBeTrue();

        // The token never reaches the CLI's output, and identity.json is owner-only.
        var whoami = await ShouldSucceedAsync(homeA, "whoami");
        whoami.ShouldNotContain(adaToken[^43..]);
        if (!OperatingSystem.IsWindows())
            File.GetUnixFileMode(Path.Combine(homeA, "identity.json")).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);

        // Bob leaves the workspace: his device no longer reaches the vault, so his sync cannot succeed.
        await pg.FireOkAsync(new { id = "leave-bob", type = "user.left_workspace", user_id = "bob", workspace_id = "acme" });
        await File.WriteAllTextAsync(Path.Combine(folderA, "after.md"), "Bob must not get this");
        await ShouldSucceedAsync(homeA, "sync");
        var (code, _, err) = await CliProcess.RunAsync(homeB, "sync");
        code.ShouldNotBe(0, err);
        File.Exists(Path.Combine(folderB, "after.md")).ShouldBeFalse();
        File.Exists(Path.Combine(folderB, "plan.md")).ShouldBeTrue("leaving a workspace never deletes local files");
    }

    static async Task<string> ShouldSucceedAsync(string home, params string[] args)
    {
        var (code, stdout, stderr) = await CliProcess.RunAsync(home, args);
        code.ShouldBe(0, $"tinysync {string.Join(' ', args.Select(a => a.StartsWith("tsdev_", StringComparison.Ordinal) ? "tsdev_***" : a))}: {stdout} {stderr}");
        return stdout + stderr;
    }
}
