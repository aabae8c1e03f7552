using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace TinySync.Server.Tests.Support;

/// <summary>A device's <c>/v1/stream</c> connection over real loopback, with the token in the Authorization header.</summary>
public sealed class StreamClient : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    StreamClient(ClientWebSocket ws) => Socket = ws;

    public ClientWebSocket Socket { get; }

    /// <summary>Opens a stream; <paramref name="receiveBufferBytes"/> shrinks the client's TCP receive buffer
    /// (to make a client that never reads fill up the path quickly).</summary>
    public static async Task<StreamClient> ConnectAsync(TestServer server, string token, int? receiveBufferBytes = null)
    {
        var ws = new ClientWebSocket();
        ws.Options.SetRequestHeader("Authorization", "Bearer " + token);
        ws.Options.CollectHttpResponseDetails = true;
        var handler = new SocketsHttpHandler();
        if (receiveBufferBytes is { } size)
        {
            handler.ConnectCallback = async (ctx, ct) =>
            {
                var s = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = size, NoDelay = true };
                await s.ConnectAsync(ctx.DnsEndPoint, ct);
                return new NetworkStream(s, ownsSocket: true);
            };
        }
        using var timeout = new CancellationTokenSource(Patience);
        await ws.ConnectAsync(StreamUri(server), new HttpMessageInvoker(handler), timeout.Token);
        return new StreamClient(ws);
    }

    /// <summary>Tries to open a stream and returns the HTTP status the upgrade was refused with.</summary>
    public static async Task<HttpStatusCode> RefusedStatusAsync(TestServer server, string? authorization)
    {
        using var ws = new ClientWebSocket();
        if (authorization is not null) ws.Options.SetRequestHeader("Authorization", authorization);
        ws.Options.CollectHttpResponseDetails = true;
        using var timeout = new CancellationTokenSource(Patience);
        await Should.ThrowAsync<WebSocketException>(() => ws.ConnectAsync(StreamUri(server), new HttpMessageInvoker(new SocketsHttpHandler()), timeout.Token));
        return ws.HttpStatusCode;
    }

    public static Uri StreamUri(TestServer server) => new(server.BaseAddress.ToString().Replace("http://", "ws://", StringComparison.Ordinal) + "v1/stream");

    public Task SendTextAsync(string text) =>
        Socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    public Task SubscribeAsync(params object[] ids) => SendTextAsync(JsonSerializer.Serialize(new { subscribe = ids.Select(i => i.ToString()) }));

    /// <summary>The next text frame as JSON; fails if the stream closes or nothing arrives in time.</summary>
    public async Task<JsonElement> ReceiveAsync()
    {
        var (type, text) = await ReceiveFrameAsync();
        type.ShouldBe(WebSocketMessageType.Text, $"expected a frame, the stream closed: {Socket.CloseStatus} {Socket.CloseStatusDescription}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Reads until the server's close frame and returns its status; frames before it are skipped.</summary>
    public async Task<(int Status, string? Reason)> ReceiveCloseAsync()
    {
        while (true)
        {
            var (type, _) = await ReceiveFrameAsync();
            if (type == WebSocketMessageType.Close) return ((int)Socket.CloseStatus!.Value, Socket.CloseStatusDescription);
        }
    }

    async Task<(WebSocketMessageType Type, string Text)> ReceiveFrameAsync()
    {
        // Cancelling a receive aborts the socket, which is fine: a test that times out has failed anyway.
        using var timeout = new CancellationTokenSource(Patience);
        var buffer = new byte[64 * 1024];
        var length = 0;
        while (true)
        {
            var r = await Socket.ReceiveAsync(buffer.AsMemory(length), timeout.Token);
            if (r.MessageType == WebSocketMessageType.Close) return (r.MessageType, "");
            length += r.Count;
            if (r.EndOfMessage) return (r.MessageType, Encoding.UTF8.GetString(buffer, 0, length));
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (Socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // the server went away first
        }
        Socket.Dispose();
    }
}
