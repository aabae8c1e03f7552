using System.Text;
using TinySync.Core.Contracts;
using TinySync.Server.Tests.Support;

namespace TinySync.Server.Tests.Identity;

/// <summary>Neither a device token nor the admin token ever reaches a file of the data directory or the log.</summary>
public class SecretLeakTests
{
    static byte[] DecodeBase64Url(string s)
    {
        var b64 = s.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(b64 + new string('=', (4 - b64.Length % 4) % 4));
    }

    static void ShouldNotContainBytes(byte[] haystack, byte[] needle, string because) =>
        haystack.AsSpan().IndexOf(needle).ShouldBe(-1, because);

    /// <summary>Every file of the data dir, including the -wal and -shm files while the server is still running.</summary>
    static async Task AssertNoSecretInFilesAsync(string dataDir, IEnumerable<string> secrets, IEnumerable<byte[]> rawSecrets, string? except = null)
    {
        var files = Directory.GetFiles(dataDir, "*", SearchOption.AllDirectories).Where(f => f != except).ToList();
        files.ShouldContain(f => f.EndsWith("tinysync.db", StringComparison.Ordinal));
        foreach (var file in files)
        {
            byte[] bytes;
            await using (var f = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            using (var ms = new MemoryStream())
            {
                await f.CopyToAsync(ms);
                bytes = ms.ToArray();
            }
            foreach (var s in secrets)
            {
                ShouldNotContainBytes(bytes, Encoding.ASCII.GetBytes(s), $"a secret as text is in {file}");
                ShouldNotContainBytes(bytes, Encoding.Unicode.GetBytes(s), $"a secret as UTF-16 is in {file}");
            }
            foreach (var raw in rawSecrets) ShouldNotContainBytes(bytes, raw, $"raw secret bytes are in {file}");
        }
    }

    [Fact]
    public async Task No_token_reaches_any_data_file_including_the_WAL_or_the_log_after_many_requests()
    {
        await using var server = await TestServer.StartAsync();
        var devices = new List<DeviceRegistered>();
        for (var i = 0; i < 3; i++) devices.Add((await server.DeviceWithVaultAsync($"d{i}")).Device);
        foreach (var d in devices)
        {
            using var c = server.Client(d.Token);
            for (var i = 0; i < 3; i++) (await c.GetAsync("v1/me")).EnsureSuccessStatusCode();
        }
        using (var c = server.Client(devices[0].Token)) (await c.PostAsync("v1/me/revoke", null)).EnsureSuccessStatusCode();
        using (var c = server.Client(devices[0].Token)) (await c.GetAsync("v1/me")).StatusCode.ShouldBe(System.Net.HttpStatusCode.Unauthorized);
        using (var c = server.Client(devices[1].Token[..^1])) await c.GetAsync("v1/me"); // a malformed one too
        using (var admin = server.Admin()) (await admin.GetAsync("v1/devices")).EnsureSuccessStatusCode();

        var secrets = devices.Select(d => d.Token[43..]).Append(TestServer.AdminTokenValue).ToList();
        var raw = devices.Select(d => DecodeBase64Url(d.Token[43..])).ToList();
        File.Exists(Db.PathIn(server.DataDir) + "-wal").ShouldBeTrue("the test must look at a live WAL");
        await AssertNoSecretInFilesAsync(server.DataDir, secrets, raw);

        await server.RestartAsync(); // and after the WAL is checkpointed into the main file
        await AssertNoSecretInFilesAsync(server.DataDir, secrets, raw);

        foreach (var s in secrets) server.LogText.ShouldNotContain(s);
        foreach (var s in secrets) server.LogText.ShouldNotContain(s[..16]);
        foreach (var d in devices) server.LogText.ShouldContain($"tsdev_{d.DeviceId}_***");
    }

    [Fact]
    public async Task A_generated_admin_token_is_a_0600_file_whose_path_is_logged_and_whose_value_is_not()
    {
        await using var server = await TestServer.StartAsync(s => s["TINYSYNC_ADMIN_TOKEN"] = null);
        var file = Path.Combine(server.DataDir, "admin-token");
        File.Exists(file).ShouldBeTrue();
        var token = server.AdminToken;
        token.ShouldStartWith("tsadm_");
        token.Length.ShouldBeGreaterThanOrEqualTo(6 + 43);
        if (!OperatingSystem.IsWindows())
        {
            File.GetUnixFileMode(file).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.GetUnixFileMode(server.DataDir).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        server.LogText.ShouldContain(Path.GetFullPath(file));
        server.LogText.ShouldNotContain(token);
        server.LogText.ShouldNotContain(token[6..22]);

        using (var admin = server.Admin()) (await admin.GetAsync("v1/devices")).EnsureSuccessStatusCode();
        var device = await server.RegisterAsync();
        await AssertNoSecretInFilesAsync(server.DataDir, [token, device.Token[43..]], [], except: file);

        await server.RestartAsync();
        server.AdminToken.ShouldBe(token, "the generated token is kept across restarts");
        using (var admin = server.Admin()) (await admin.GetAsync("v1/devices")).EnsureSuccessStatusCode();
        server.LogText.ShouldNotContain(token);
    }
}
