using System.Net.Http.Headers;
using System.Net.Http.Json;
using TinySync.Core.Contracts;
using TinySync.Core.Json;
using TinySync.Server.Tests.Support;

namespace TinySync.Server.Tests.Sync;

public class DurabilityTests
{
    [Fact]
    public async Task Acknowledged_commits_and_chunks_survive_kill_9_of_the_server()
    {
        using var dir = new TempDir("tinysync-kill");
        await using var server = new ServerProcess(dir.Sub("data"));
        await server.StartAsync();

        using var admin = new HttpClient { BaseAddress = server.BaseAddress };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestServer.AdminTokenValue);
        var device = (await (await admin.PostAsJsonAsync("v1/devices", new RegisterDeviceRequest("d"), TinySyncJson.Options))
            .Content.ReadFromJsonAsync<DeviceRegistered>(TinySyncJson.Options))!;
        var vault = (await (await admin.PostAsJsonAsync("v1/vaults", new VaultRequest("v"), TinySyncJson.Options))
            .Content.ReadFromJsonAsync<VaultView>(TinySyncJson.Options))!;
        (await admin.PutAsync($"v1/groups/g/devices/{device.DeviceId}", null)).EnsureSuccessStatusCode();
        (await admin.PutAsync($"v1/groups/g/vaults/{vault.VaultId}", null)).EnsureSuccessStatusCode();

        var http = new HttpClient { BaseAddress = server.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", device.Token);
        var client = new SyncClient(http, vault.VaultId, device.DeviceId);
        var content = "survives a crash"u8.ToArray();
        var hash = await client.UploadAsync(content);
        var acknowledged = await client.CommitAsync(Ops.Mkdir("d"), Ops.Put("d/f", 0, content.Length, hash));
        acknowledged.Head.ShouldBe(2);

        server.Kill(); // SIGKILL right after the acknowledgement: no shutdown, no checkpoint
        await server.StartAsync();
        using var after = new HttpClient { BaseAddress = server.BaseAddress };
        after.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", device.Token);
        using var again = new SyncClient(after, vault.VaultId, device.DeviceId);
        var log = await again.LogAsync();
        log.Head.ShouldBe(2);
        log.Entries.Select(e => e.OpId).ShouldBe(acknowledged.Results.Select(r => r.OpId));
        (await after.GetByteArrayAsync($"{again.Base}/chunks/{hash}")).ShouldBe(content);
        (await again.OkAsync(Ops.Empty("d/g"))).ShouldBe(3, "seqs continue densely after the crash");
        http.Dispose();
    }
}
