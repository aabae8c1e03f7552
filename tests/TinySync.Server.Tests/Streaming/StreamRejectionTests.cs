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

/// <summary>Refused upgrades and protocol errors (one shared server).</summary>
public class StreamRejectionTests(SharedServer fixture) : IClassFixture<SharedServer>
{
    [Theory]
    [InlineData(null)]
    [InlineData("Bearer tsdev_nonsense")]
    [InlineData("Bearer tsdev_0199a1b2-0000-7000-8000-000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("Basic dXNlcjpwYXNz")]
    public async Task Bad_tokens_get_401_before_the_upgrade(string? authorization)
    {
        var server = fixture.Server;
        (await StreamClient.RefusedStatusAsync(server, authorization)).ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task The_admin_token_gets_403_before_the_upgrade()
    {
        var server = fixture.Server;
        (await StreamClient.RefusedStatusAsync(server, "Bearer " + server.AdminToken)).ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task A_plain_http_request_gets_a_400_problem_and_a_token_in_the_query_string_is_refused()
    {
        var server = fixture.Server;
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
        var server = fixture.Server;
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
        var server = fixture.Server;
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
}
