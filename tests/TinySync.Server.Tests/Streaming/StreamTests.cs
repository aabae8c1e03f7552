using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using TinySync.Core.Contracts;
using TinySync.Server.Apis;
using TinySync.Server.Signals;
using TinySync.Server.Streaming;
using TinySync.Server.Tests.Support;

namespace TinySync.Server.Tests.Streaming;

public class StreamTests
{
    static ISignalBus Signals(TestServer server) => server.App.Services.GetRequiredService<ISignalBus>();

    static StreamHub Hub(TestServer server) => server.App.Services.GetRequiredService<StreamHub>();

    static string[] Strings(JsonElement e, string property) =>
        [.. e.GetProperty(property).EnumerateArray().Select(x => x.GetString()!)];

    static async Task<StreamClient> SubscribedAsync(TestServer server, string token, params Guid[] vaults)
    {
        var stream = await StreamClient.ConnectAsync(server, token);
        await stream.SubscribeAsync([.. vaults.Cast<object>()]);
        var reply = await stream.ReceiveAsync();
        Strings(reply, "subscribed").ShouldBe(vaults.Select(v => v.ToString()).ToArray());
        Strings(reply, "denied").ShouldBeEmpty();
        return stream;
    }

    static async Task<StreamConnection> ServerSideAsync(TestServer server, Guid device)
    {
        // The connection registers right after the upgrade; wait for it rather than assume.
        using var timeout = new CancellationTokenSource(StreamClient.Patience);
        while (true)
        {
            if (Hub(server).ConnectionsOf(device) is [var c]) return c;
            await Task.Delay(10, timeout.Token);
        }
    }

    [Fact]
    public async Task Subscribe_accepts_reachable_vaults_and_denies_unknown_unreachable_and_malformed_ids_alike()
    {
        await using var server = await TestServer.StartAsync();
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
    public async Task A_second_subscribe_message_adds_vaults_to_the_stream()
    {
        await using var server = await TestServer.StartAsync();
        var (device, first) = await server.DeviceWithVaultAsync("alice");
        var second = await server.CreateVaultAsync("second");
        await server.AddVaultToGroupAsync("g-second", second.VaultId);
        await server.AddDeviceToGroupAsync("g-second", device.DeviceId);

        await using var stream = await SubscribedAsync(server, device.Token, first.VaultId);
        await stream.SubscribeAsync(second.VaultId);
        Strings(await stream.ReceiveAsync(), "subscribed").ShouldBe([second.VaultId.ToString()]);

        Signals(server).PublishCommit(second.VaultId, 3);
        Signals(server).PublishCommit(first.VaultId, 9);
        var hint = await stream.ReceiveAsync();
        (hint.GetProperty("vault").GetGuid(), hint.GetProperty("head").GetInt64()).ShouldBe((second.VaultId, 3L));
        hint = await stream.ReceiveAsync();
        (hint.GetProperty("vault").GetGuid(), hint.GetProperty("head").GetInt64()).ShouldBe((first.VaultId, 9L));
    }

    [Fact]
    public async Task A_hint_arrives_after_a_commit()
    {
        await using var server = await TestServer.StartAsync();
        var (device, vault) = await server.DeviceWithVaultAsync("alice");
        await using var stream = await SubscribedAsync(server, device.Token, vault.VaultId);

        Signals(server).PublishCommit(vault.VaultId, 1);

        var hint = await stream.ReceiveAsync();
        hint.GetRawText().ShouldBe($$"""{"vault":"{{vault.VaultId}}","head":1}""");
    }

    [Fact]
    public async Task Hints_are_coalesced_and_the_server_holds_at_most_one_pending_hint_per_vault()
    {
        await using var server = await TestServer.StartAsync();
        var (device, vault) = await server.DeviceWithVaultAsync("alice");
        await using var stream = await SubscribedAsync(server, device.Token, vault.VaultId);
        var connection = await ServerSideAsync(server, device.DeviceId);

        // The client is not reading while 10,000 commits land.
        for (var head = 1; head <= 10_000; head++) Signals(server).PublishCommit(vault.VaultId, head);
        Signals(server).PublishCommit(vault.VaultId, 5); // a late, older head is never sent after a newer one

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

    [Theory]
    [InlineData("admin")]
    [InlineData("self")]
    public async Task A_revoked_devices_open_streams_are_closed_with_4401_at_once(string by)
    {
        await using var server = await TestServer.StartAsync();
        var (device, vault) = await server.DeviceWithVaultAsync("alice");
        await using var first = await SubscribedAsync(server, device.Token, vault.VaultId);
        await using var second = await StreamClient.ConnectAsync(server, device.Token);

        using var client = by == "admin" ? server.Admin() : server.Client(device.Token);
        var response = await client.PostAsync(by == "admin" ? $"v1/devices/{device.DeviceId}/revoke" : "v1/me/revoke", null);
        response.IsSuccessStatusCode.ShouldBeTrue();

        (await first.ReceiveCloseAsync()).ShouldBe((StreamCloseCodes.Revoked, "device revoked"));
        (await second.ReceiveCloseAsync()).Status.ShouldBe(StreamCloseCodes.Revoked);
        (await StreamClient.RefusedStatusAsync(server, "Bearer " + device.Token)).ShouldBe(HttpStatusCode.Unauthorized);
    }

    public static TheoryData<string> AccessLosses => ["device-group edge", "group-vault edge", "group deleted"];

    [Theory]
    [MemberData(nameof(AccessLosses))]
    public async Task Losing_access_stops_hints_for_that_vault_and_tells_the_client(string loss)
    {
        await using var server = await TestServer.StartAsync();
        var device = await server.RegisterAsync("alice");
        var lost = await server.CreateVaultAsync("lost");
        var kept = await server.CreateVaultAsync("kept");
        await server.AddDeviceToGroupAsync("g-lost", device.DeviceId);
        await server.AddVaultToGroupAsync("g-lost", lost.VaultId);
        await server.AddDeviceToGroupAsync("g-kept", device.DeviceId);
        await server.AddVaultToGroupAsync("g-kept", kept.VaultId);
        await using var stream = await SubscribedAsync(server, device.Token, lost.VaultId, kept.VaultId);

        using var admin = server.Admin();
        var path = loss switch
        {
            "device-group edge" => $"v1/groups/g-lost/devices/{device.DeviceId}",
            "group-vault edge" => $"v1/groups/g-lost/vaults/{lost.VaultId}",
            _ => "v1/groups/g-lost",
        };
        (await admin.DeleteAsync(path)).IsSuccessStatusCode.ShouldBeTrue();

        // The re-check runs on the signal; the client is told which subscriptions were dropped.
        var denied = await stream.ReceiveAsync();
        denied.GetRawText().ShouldBe($$"""{"denied":["{{lost.VaultId}}"]}""");

        // Hints leave in commit order: if the lost vault's hint were still delivered, it would come first.
        Signals(server).PublishCommit(lost.VaultId, 7);
        Signals(server).PublishCommit(kept.VaultId, 8);
        var next = await stream.ReceiveAsync();
        next.GetProperty("vault").GetGuid().ShouldBe(kept.VaultId);

        // And the vault cannot be subscribed to again.
        await stream.SubscribeAsync(lost.VaultId);
        Strings(await stream.ReceiveAsync(), "denied").ShouldBe([lost.VaultId.ToString()]);
    }

    [Fact]
    public async Task The_periodic_recheck_drops_a_subscription_even_without_a_signal()
    {
        await using var server = await TestServer.StartAsync();
        var (device, vault) = await server.DeviceWithVaultAsync("alice");
        await using var stream = await SubscribedAsync(server, device.Token, vault.VaultId);
        var group = (await server.App.Services.GetRequiredService<Storage.IStore>().GetMeAsync(device.DeviceId, default))!.Groups.Single();
        // Remove the edge behind the API's back: no AccessChanged signal is published.
        await server.App.Services.GetRequiredService<Storage.IStore>().RemoveVaultFromGroupAsync(group, vault.VaultId, DateTimeOffset.UtcNow, default);

        await Hub(server).RecheckAllAsync(default);

        (await stream.ReceiveAsync()).GetRawText().ShouldBe($$"""{"denied":["{{vault.VaultId}}"]}""");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer tsdev_nonsense")]
    [InlineData("Bearer tsdev_0199a1b2-0000-7000-8000-000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("Basic dXNlcjpwYXNz")]
    public async Task Bad_tokens_get_401_before_the_upgrade(string? authorization)
    {
        await using var server = await TestServer.StartAsync();
        (await StreamClient.RefusedStatusAsync(server, authorization)).ShouldBe(HttpStatusCode.Unauthorized);
        Hub(server).OpenCount.ShouldBe(0);
    }

    [Fact]
    public async Task The_admin_token_gets_403_before_the_upgrade()
    {
        await using var server = await TestServer.StartAsync();
        (await StreamClient.RefusedStatusAsync(server, "Bearer " + server.AdminToken)).ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task A_plain_http_request_gets_a_400_problem_and_a_token_in_the_query_string_is_refused()
    {
        await using var server = await TestServer.StartAsync();
        var device = await server.RegisterAsync();
        using var client = server.Client(device.Token);
        await (await client.GetAsync("v1/stream")).ShouldBeProblemAsync(400, StreamApi.WebSocketRequired);

        using var anonymous = server.Client();
        await (await anonymous.GetAsync($"v1/stream?access_token={device.Token}")).ShouldBeProblemAsync(400, StreamApi.TokenInQuery);
    }

    [Theory]
    [InlineData("{\"subscribe\": [", 1007)]
    [InlineData("{\"subscribe\": [], \"unsubscribe\": []}", 1007)]
    [InlineData("{\"subscribe\": [42]}", 1007)]
    [InlineData("[\"a\"]", 1007)]
    [InlineData("", 1007)]
    public async Task Malformed_messages_close_the_stream_with_a_reason(string message, int status)
    {
        await using var server = await TestServer.StartAsync();
        var device = await server.RegisterAsync();
        await using var stream = await StreamClient.ConnectAsync(server, device.Token);
        await stream.SendTextAsync(message);
        var (closed, reason) = await stream.ReceiveCloseAsync();
        closed.ShouldBe(status);
        reason.ShouldNotBeNullOrWhiteSpace();
    }

    [Fact]
    public async Task Binary_and_oversized_messages_close_the_stream()
    {
        await using var server = await TestServer.StartAsync();
        var device = await server.RegisterAsync();
        await using (var stream = await StreamClient.ConnectAsync(server, device.Token))
        {
            await stream.Socket.SendAsync(new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary, true, default);
            (await stream.ReceiveCloseAsync()).Status.ShouldBe((int)WebSocketCloseStatus.InvalidMessageType);
        }
        await using (var stream = await StreamClient.ConnectAsync(server, device.Token))
        {
            await stream.SendTextAsync("{\"subscribe\": [\"" + new string('a', 70_000) + "\"]}");
            (await stream.ReceiveCloseAsync()).Status.ShouldBe((int)WebSocketCloseStatus.MessageTooBig);
        }
    }

    [Fact]
    public async Task More_subscriptions_than_the_cap_close_the_stream_with_1008()
    {
        await using var server = await TestServer.StartAsync(s => s["TINYSYNC_STREAM_MAX_SUBSCRIPTIONS"] = "2");
        var device = await server.RegisterAsync();
        var vaults = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            var v = await server.CreateVaultAsync($"v{i}");
            await server.AddVaultToGroupAsync("g", v.VaultId);
            vaults.Add(v.VaultId);
        }
        await server.AddDeviceToGroupAsync("g", device.DeviceId);
        await using var stream = await SubscribedAsync(server, device.Token, vaults[0], vaults[1]);
        await stream.SubscribeAsync(vaults[0]); // already subscribed: does not count twice
        Strings(await stream.ReceiveAsync(), "subscribed").ShouldBe([vaults[0].ToString()]);

        await stream.SubscribeAsync(vaults[2]);
        (await stream.ReceiveCloseAsync()).Status.ShouldBe((int)WebSocketCloseStatus.PolicyViolation);
    }

    [Fact]
    public async Task A_client_that_never_reads_costs_the_server_at_most_one_pending_hint_per_vault()
    {
        await using var server = await TestServer.StartAsync();
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
            foreach (var v in vaults) Signals(server).PublishCommit(v, head);
            if (head % 5_000 == 0) connection.PendingHints.ShouldBeLessThanOrEqualTo(vaults.Count);
        }

        connection.PendingHighWater.ShouldBeLessThanOrEqualTo(vaults.Count);
        connection.FramesSent.ShouldBeLessThan(200_000L);
    }

    [Fact]
    public async Task Streams_are_closed_with_1001_when_the_server_stops()
    {
        var server = await TestServer.StartAsync();
        try
        {
            var (device, vault) = await server.DeviceWithVaultAsync("alice");
            await using var stream = await SubscribedAsync(server, device.Token, vault.VaultId);
            var closing = stream.ReceiveCloseAsync();
            var stopping = server.App.StopAsync();
            (await closing).Status.ShouldBe((int)WebSocketCloseStatus.EndpointUnavailable);
            await stream.DisposeAsync();
            await stopping;
        }
        finally
        {
            await server.DisposeAsync();
        }
    }
}
