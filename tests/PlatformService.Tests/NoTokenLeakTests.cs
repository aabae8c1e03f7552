using System.Text;
using PlatformService.Tests.Support;

namespace PlatformService.Tests;

/// <summary>No token, device or admin, and no user credential ever lands in the call log, the page or the catalog's files.</summary>
public sealed class NoTokenLeakTests
{
    [Fact]
    public async Task No_secret_appears_in_the_call_log_the_page_or_any_file_of_the_data_dir()
    {
        await using var server = await TestServer.StartAsync(s => s["TINYSYNC_OPEN_DEVICE_REGISTRATION"] = "false");
        var pg = await Playground.StartAsync(server.BaseAddress, server.AdminToken);
        try
        {
            pg.IssuedSecrets.Add(server.AdminToken);
            foreach (var user in new[] { "ada", "bob" })
            {
                var credential = await pg.CreateUserAsync(user);
                await pg.CreateWorkspaceAsync("ws-" + user);
                await pg.FireOkAsync(new { id = "j-" + user, type = "user.joined_workspace", user_id = user, workspace_id = "ws-" + user });
                await pg.SetUpDriveAsync(user, credential, "laptop of " + user);
                await pg.SetUpDriveAsync(user, credential, "phone of " + user);
            }
            // An event carrying a token in a field must not carry it into the catalog either.
            var leaked = pg.IssuedSecrets.First(s => s.StartsWith("tsdev_", StringComparison.Ordinal));
            await pg.FireOkAsync(new { id = "va", type = "workspace.vault_added", workspace_id = "ws-ada", name = "oops " + leaked });
            await pg.FireOkAsync(new { id = "del", type = "user.deleted", user_id = "bob" });
            await pg.ReconcileAsync();
            (await pg.Http.GetAsync("api/tinysync")).EnsureSuccessStatusCode();

            var calls = (await pg.CallsAsync()).ToJsonString();
            calls.ShouldContain("tsdev_"); // the registration answers are there, redacted
            calls.ShouldContain("_***");
            var page = await pg.Http.GetStringAsync("");
            var state = await pg.Http.GetStringAsync("api/state");
            var texts = new Dictionary<string, string> { ["call log"] = calls, ["page"] = page, ["state"] = state };

            pg.IssuedSecrets.Count.ShouldBe(1 + 2 + 4 * 2);
            // While running: the WAL holds the latest writes.
            File.Exists(Path.Combine(pg.DataDir, "catalog.db-wal")).ShouldBeTrue();
            AssertNoSecretIn(pg, texts);
            await pg.StopAsync();
            AssertNoSecretIn(pg, []);
        }
        finally
        {
            await pg.DisposeAsync();
        }
    }

    static void AssertNoSecretIn(Playground pg, Dictionary<string, string> texts)
    {
        var files = Directory.GetFiles(pg.DataDir, "*", SearchOption.AllDirectories);
        files.ShouldNotBeEmpty();
        foreach (var file in files)
            texts[file] = Encoding.Latin1.GetString(File.ReadAllBytes(file)); // byte-exact search over a binary file
        foreach (var secret in pg.IssuedSecrets)
            foreach (var (where, text) in texts)
                text.Contains(secret, StringComparison.Ordinal).ShouldBeFalse($"a secret ({secret[..Math.Min(10, secret.Length)]}…) leaked into {where}");
    }
}
