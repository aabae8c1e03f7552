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

/// <summary>Revocation, loss of access, limits, metrics and shutdown (a server per test: they change server-wide state).</summary>
/// <remarks>
/// Alone in the process: OpenTelemetry aggregates every live <c>TinySync.Server</c> meter of the process into one
/// series, so the exact gauge and counter values of the metrics test hold only while no other server runs.
/// </remarks>
[Collection(ProcessWideMetrics.Name)]
public sealed class StreamAccessTests_Sqlite() : StreamAccessTests(Backend.Sqlite);

[Collection(ProcessWideMetrics.Name)]
public sealed class StreamAccessTests_Postgres() : StreamAccessTests(Backend.Postgres);

/// <summary>Tests that read exact values of process-wide metrics run without other tests beside them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideMetrics
{
    public const string Name = "Process-wide metrics";
}

public abstract class StreamAccessTests(Backend backend)
{
    [Theory]
    [InlineData("admin")]
    [InlineData("self")]
    public async Task A_revoked_devices_open_streams_are_closed_with_4401_at_once(string by)
    {
        await using var server = await TestServer.StartAsync(backend);
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
        await using var server = await TestServer.StartAsync(backend);
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
        Bus(server).PublishCommit(lost.VaultId, 7);
        Bus(server).PublishCommit(kept.VaultId, 8);
        var next = await stream.ReceiveAsync();
        next.GetProperty("vault").GetGuid().ShouldBe(kept.VaultId);

        // And the vault cannot be subscribed to again.
        await stream.SubscribeAsync(lost.VaultId);
        Strings(await stream.ReceiveAsync(), "denied").ShouldBe([lost.VaultId.ToString()]);
    }

    [Fact]
    public async Task The_periodic_recheck_drops_a_subscription_even_without_a_signal()
    {
        await using var server = await TestServer.StartAsync(backend);
        var (device, vault) = await server.DeviceWithVaultAsync("alice");
        await using var stream = await SubscribedAsync(server, device.Token, vault.VaultId);
        var group = (await server.App.Services.GetRequiredService<Storage.IStore>().GetMeAsync(device.DeviceId, default))!.Groups.Single();
        // Remove the edge behind the API's back: no AccessChanged signal is published.
        await server.App.Services.GetRequiredService<Storage.IStore>().RemoveVaultFromGroupAsync(group, vault.VaultId, DateTimeOffset.UtcNow, default);

        await Hub(server).RecheckAllAsync(checkRevoked: true, default);

        (await stream.ReceiveAsync()).GetRawText().ShouldBe($$"""{"denied":["{{vault.VaultId}}"]}""");
    }

    [Fact]
    public async Task Metrics_show_open_streams_hints_sent_and_why_streams_were_dropped()
    {
        await using var server = await TestServer.StartAsync(backend);
        var (device, vault) = await server.DeviceWithVaultAsync("alice");
        await using var stream = await SubscribedAsync(server, device.Token, vault.VaultId);
        Bus(server).PublishCommit(vault.VaultId, 1);
        await stream.ReceiveAsync();
        using var anonymous = server.Client();
        await MetricsShowAsync(anonymous, "tinysync_streams_open 1\n", "tinysync_streams_hints_sent_total 1\n");

        using var admin = server.Admin();
        (await admin.PostAsync($"v1/devices/{device.DeviceId}/revoke", null)).EnsureSuccessStatusCode();
        await stream.ReceiveCloseAsync();
        await stream.DisposeAsync();
        await MetricsShowAsync(anonymous, "tinysync_streams_open 0\n", "tinysync_streams_dropped_total{reason=\"revoked\"} 1\n");
    }

    [Fact]
    public async Task More_subscriptions_than_the_cap_close_the_stream_with_1008()
    {
        await using var server = await TestServer.StartAsync(backend, s => s["TINYSYNC_STREAM_MAX_SUBSCRIPTIONS"] = "2");
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
    public async Task A_peer_that_stops_answering_pings_is_dropped()
    {
        await using var server = await TestServer.StartAsync(s => s["TINYSYNC_STREAM_KEEPALIVE_SECONDS"] = "0.3");
        var (device, vault) = await server.DeviceWithVaultAsync("alice");
        // The client answers pings only while it has a receive pending; after the reply it never reads again.
        await using var stream = await SubscribedAsync(server, device.Token, vault.VaultId);
        var connection = await ServerSideAsync(server, device.DeviceId);

        using var timeout = new CancellationTokenSource(StreamClient.Patience);
        while (Hub(server).OpenCount > 0) await Task.Delay(20, timeout.Token);
        connection.DropReason.ShouldBe("connection_lost");
    }

    [Fact]
    public async Task Streams_are_closed_with_1001_when_the_server_stops()
    {
        var server = await TestServer.StartAsync(backend);
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
