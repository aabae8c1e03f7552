using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using TinySync.Core.Contracts;
using TinySync.Server.Apis;
using TinySync.Server.Signals;
using TinySync.Server.Streaming;
using TinySync.Server.Tests.Support;
using static TinySync.Server.Tests.Streaming.StreamKit;

namespace TinySync.Server.Tests.Streaming;

/// <summary>Subscribing, hints and coalescing (one shared server).</summary>
public class StreamSubscribeTests(SharedServer fixture) : IClassFixture<SharedServer>
{
    [Fact]
    public async Task Subscribe_accepts_reachable_vaults_and_denies_unknown_unreachable_and_malformed_ids_alike()
    {
        var server = fixture.Server;
        var (device, vault) = await server.DeviceWithVaultAsync("alice");
        var (_, otherVault) = await server.DeviceWithVaultAsync("bob");
        var unknown = Guid.NewGuid();

        await using var stream = await StreamClient.ConnectAsync(server, device.Token);
        await stream.SubscribeAsync(vault.VaultId, unknown, otherVault.VaultId, "not-a-vault", vault.VaultId);
        var reply = await stream.ReceiveAsync();

        Strings(reply, "subscribed").ShouldBe([vault.VaultId.ToString()]);
        Strings(reply, "denied").ShouldBe([unknown.ToString(), otherVault.VaultId.ToString(), "not-a-vault"]);
    }

    [Fact]
    public async Task Subscribing_to_many_vaults_at_once_accepts_exactly_the_reachable_ones_and_loses_exactly_the_removed_one()
    {
        var server = fixture.Server;
        var device = await server.RegisterAsync("many");
        var group = "g-" + Guid.NewGuid().ToString("N");
        await server.AddDeviceToGroupAsync(group, device.DeviceId);
        var reachable = new List<Guid>();
        for (var i = 0; i < 6; i++)
        {
            var v = await server.CreateVaultAsync($"many-{i}");
            await server.AddVaultToGroupAsync(group, v.VaultId);
            reachable.Add(v.VaultId);
        }
        var unknown = new[] { Guid.NewGuid(), Guid.NewGuid() };

        await using var stream = await StreamClient.ConnectAsync(server, device.Token);
        await stream.SubscribeAsync([.. reachable.Concat(unknown).Cast<object>()]);
        var reply = await stream.ReceiveAsync();
        Strings(reply, "subscribed").ShouldBe(reachable.Select(v => v.ToString()).ToArray());
        Strings(reply, "denied").ShouldBe(unknown.Select(v => v.ToString()).ToArray());

        using var admin = server.Admin();
        (await admin.DeleteAsync($"v1/groups/{group}/vaults/{reachable[3]}")).EnsureSuccessStatusCode();
        (await stream.ReceiveAsync()).GetRawText().ShouldBe($$"""{"denied":["{{reachable[3]}}"]}""");
    }

    [Fact]
    public async Task A_second_subscribe_message_adds_vaults_to_the_stream()
    {
        var server = fixture.Server;
        var (device, first) = await server.DeviceWithVaultAsync("alice");
        var second = await server.CreateVaultAsync("second");
        await server.AddVaultToGroupAsync("g-second", second.VaultId);
        await server.AddDeviceToGroupAsync("g-second", device.DeviceId);

        await using var stream = await SubscribedAsync(server, device.Token, first.VaultId);
        await stream.SubscribeAsync(second.VaultId);
        Strings(await stream.ReceiveAsync(), "subscribed").ShouldBe([second.VaultId.ToString()]);

        Bus(server).PublishCommit(second.VaultId, 3);
        Bus(server).PublishCommit(first.VaultId, 9);
        var hint = await stream.ReceiveAsync();
        (hint.GetProperty("vault").GetGuid(), hint.GetProperty("head").GetInt64()).ShouldBe((second.VaultId, 3L));
        hint = await stream.ReceiveAsync();
        (hint.GetProperty("vault").GetGuid(), hint.GetProperty("head").GetInt64()).ShouldBe((first.VaultId, 9L));
    }

    [Fact]
    public async Task A_hint_arrives_after_a_commit()
    {
        var server = fixture.Server;
        var (device, vault) = await server.DeviceWithVaultAsync("alice");
        await using var stream = await SubscribedAsync(server, device.Token, vault.VaultId);

        Bus(server).PublishCommit(vault.VaultId, 1);

        var hint = await stream.ReceiveAsync();
        hint.GetRawText().ShouldBe($$"""{"vault":"{{vault.VaultId}}","head":1}""");
    }

    [Fact]
    public async Task A_hint_arrives_after_a_real_commit_by_another_device()
    {
        var server = fixture.Server;
        var (writer, vault) = await server.DeviceWithVaultAsync("writer");
        var reader = await server.RegisterAsync("reader");
        var group = "g-" + Guid.NewGuid().ToString("N");
        await server.AddDeviceToGroupAsync(group, reader.DeviceId);
        await server.AddVaultToGroupAsync(group, vault.VaultId);
        await using var stream = await SubscribedAsync(server, reader.Token, vault.VaultId);

        using var client = server.Client(writer.Token);
        var ops = $$"""{"ops":[{"op_id":"{{Guid.NewGuid()}}","kind":"mkdir","container":"default","path":"docs","base":0}]}""";
        (await client.PostAsync($"v1/vaults/{vault.VaultId}/ops", ProblemAssertions.Json(ops))).EnsureSuccessStatusCode();

        (await stream.ReceiveAsync()).GetRawText().ShouldBe($$"""{"vault":"{{vault.VaultId}}","head":1}""");
    }

    [Fact]
    public async Task Hints_are_coalesced_and_the_server_holds_at_most_one_pending_hint_per_vault()
    {
        var server = fixture.Server;
        var (device, vault) = await server.DeviceWithVaultAsync("alice");
        await using var stream = await SubscribedAsync(server, device.Token, vault.VaultId);
        var connection = await ServerSideAsync(server, device.DeviceId);

        // The client is not reading while 10,000 commits land.
        for (var head = 1; head <= 10_000; head++) Bus(server).PublishCommit(vault.VaultId, head);
        Bus(server).PublishCommit(vault.VaultId, 5); // a late, older head is never sent after a newer one

        connection.PendingHighWater.ShouldBe(1);
        long last = 0;
        var frames = 0;
        while (last < 10_000)
        {
            var hint = await stream.ReceiveAsync();
            var head = hint.GetProperty("head").GetInt64();
            head.ShouldBeGreaterThan(last, "heads only move forward");
            last = head;
            frames++;
        }
        last.ShouldBe(10_000);
        frames.ShouldBeLessThanOrEqualTo(10_000);
        connection.PendingHints.ShouldBe(0);
    }

    [Fact]
    public async Task A_client_that_never_reads_costs_the_server_at_most_one_pending_hint_per_vault()
    {
        var server = fixture.Server;
        var device = await server.RegisterAsync();
        var vaults = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            var v = await server.CreateVaultAsync($"v{i}");
            await server.AddVaultToGroupAsync("g", v.VaultId);
            vaults.Add(v.VaultId);
        }
        await server.AddDeviceToGroupAsync("g", device.DeviceId);
        await using var stream = await StreamClient.ConnectAsync(server, device.Token, receiveBufferBytes: 4096);
        await stream.SubscribeAsync([.. vaults.Cast<object>()]);
        await stream.ReceiveAsync();
        var connection = await ServerSideAsync(server, device.DeviceId);

        // 200,000 commits while the client reads nothing: whatever the socket does not take waits, coalesced.
        for (var head = 1; head <= 50_000; head++)
        {
            foreach (var v in vaults) Bus(server).PublishCommit(v, head);
            if (head % 5_000 == 0) connection.PendingHints.ShouldBeLessThanOrEqualTo(vaults.Count);
        }

        connection.PendingHighWater.ShouldBeLessThanOrEqualTo(vaults.Count);
        connection.FramesSent.ShouldBeLessThan(200_000L);
    }
}
