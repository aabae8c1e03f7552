using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using TinySync.Core.Contracts;
using TinySync.Core.Identity;
using TinySync.Core.Json;
using TinySync.Server.Storage;
using TinySync.Server.Tests.Identity;
using TinySync.Server.Tests.Support;

namespace TinySync.Server.Tests.Sync;

public sealed class RememberedAccessTests_Sqlite(ServerFixture fixture) : RememberedAccessTests(fixture), IClassFixture<ServerFixture>;

public sealed class RememberedAccessTests_Postgres(PostgresServerFixture fixture) : RememberedAccessTests(fixture), IClassFixture<PostgresServerFixture>;

/// <summary>
/// A commit may skip the database round trip in front of its body when the same token was verified for the vault
/// moments ago (decision 0507); the commit's own transaction still decides (decision 0220). These tests change access
/// behind the node's back — straight in the store, so no signal tells the node, as when another node's hint is lost —
/// and check that nothing is written anyway.
/// </summary>
public abstract class RememberedAccessTests(ServerFixture fixture)
{
    TestServer Server => fixture.Server;

    IStore Store => Server.App.Services.GetRequiredService<IStore>();

    // A device whose token was just verified for its vault (a commit went through), and a peer on the same vault.
    async Task<(SyncClient Device, string Group, SyncClient Peer)> RecentlyVerifiedAsync()
    {
        var device = await Server.RegisterAsync("remembered");
        var vault = await Server.CreateVaultAsync("v");
        var group = Wire.NewGroup("remembered");
        await Server.AddDeviceToGroupAsync(group, device.DeviceId);
        await Server.AddVaultToGroupAsync(group, vault.VaultId);
        var client = new SyncClient(Server.Client(device.Token), vault.VaultId, device.DeviceId);
        await client.OkAsync(Ops.Mkdir("first"));
        return (client, group, await client.PeerAsync(Server));
    }

    static string OneMkdir(string path) => JsonSerializer.Serialize(new OpsRequest([Ops.Mkdir(path)]), TinySyncJson.Options);

    [Fact]
    public async Task A_commit_right_after_a_revocation_the_node_did_not_hear_of_is_refused_with_401_and_writes_nothing()
    {
        var (device, _, peer) = await RecentlyVerifiedAsync();
        using var _1 = device;
        using var _2 = peer;
        await Store.RevokeDeviceAsync(device.DeviceId, DateTimeOffset.UtcNow, "test", default);
        var head = await Server.AuditHeadAsync();

        var response = await device.PostOpsRawAsync(OneMkdir("after-revocation"));

        await response.ShouldBeProblemAsync(401, ProblemCodes.DeviceRevoked);
        (await peer.TreeAsync()).ShouldNotContain(i => i.Path == "after-revocation");
        // Refused by the commit's transaction (the filters took the remembered answer): the refusal is audited.
        (await Server.AuditAfterAsync(head)).ShouldContain(a => a.Action == "write.refused" && a.Target == $"device:{device.DeviceId}");
        await (await device.Http.GetAsync($"{device.Base}/log")).ShouldBeProblemAsync(401, ProblemCodes.DeviceRevoked);
    }

    [Fact]
    public async Task A_commit_right_after_a_group_edge_removal_the_node_did_not_hear_of_is_refused_with_404_and_writes_nothing()
    {
        var (device, group, peer) = await RecentlyVerifiedAsync();
        using var _1 = device;
        using var _2 = peer;
        await Store.RemoveDeviceFromGroupAsync(group, device.DeviceId, DateTimeOffset.UtcNow, default);
        var head = await Server.AuditHeadAsync();

        var response = await device.PostOpsRawAsync(OneMkdir("after-removal"));

        await response.ShouldBeProblemAsync(404, ProblemCodes.VaultNotFound);
        (await peer.TreeAsync()).ShouldNotContain(i => i.Path == "after-removal");
        (await Server.AuditAfterAsync(head)).ShouldContain(a => a.Action == "write.refused" && a.Target == $"device:{device.DeviceId}");
    }

    [Fact]
    public async Task Another_secret_for_a_recently_verified_device_is_refused_before_its_body_is_read()
    {
        var (device, _, peer) = await RecentlyVerifiedAsync();
        using var _1 = device;
        using var _2 = peer;
        var token = device.Http.DefaultRequestHeaders.Authorization!.Parameter!;
        var at = DeviceToken.Prefix.Length + 37; // the first character of the secret
        var forged = token[..at] + (token[at] == 'A' ? 'B' : 'A') + token[(at + 1)..];
        using var http = Server.Client(forged);

        // Not JSON: the body is never looked at, the token is refused first.
        var response = await http.PostAsync($"{device.Base}/ops", ProblemAssertions.Json("not json"));

        await response.ShouldBeProblemAsync(401, ProblemCodes.InvalidToken);
    }

    [Fact]
    public async Task A_revocation_through_the_api_is_answered_before_the_body_once_the_node_hears_its_signal()
    {
        var (device, _, peer) = await RecentlyVerifiedAsync();
        using var _1 = device;
        using var _2 = peer;
        using (var admin = Server.Admin()) (await admin.PostAsync($"v1/devices/{device.DeviceId}/revoke", null)).EnsureSuccessStatusCode();

        // On PostgreSQL the signal comes back through LISTEN/NOTIFY: wait for it, at most 10 s. Until then a body that
        // is not JSON answers 400; after it, the token is refused before the body is read.
        var deadline = DateTimeOffset.UtcNow.AddSeconds(10);
        HttpResponseMessage response;
        while (true)
        {
            response = await device.PostOpsRawAsync("not json");
            if ((int)response.StatusCode != 400 || DateTimeOffset.UtcNow > deadline) break;
            await Task.Delay(20);
        }
        await response.ShouldBeProblemAsync(401, ProblemCodes.DeviceRevoked);
    }
}
