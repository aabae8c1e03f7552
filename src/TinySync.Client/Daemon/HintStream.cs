using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using TinySync.Client.Engine;
using TinySync.Core.Contracts;
using TinySync.Core.Json;

namespace TinySync.Client.Daemon;

/// <summary>
/// The wake-hint stream (<c>GET /v1/stream</c>, WebSocket): subscribes to the linked vaults and reports
/// <c>{"vault","head"}</c> hints. Reconnects with backoff after network loss or a server restart; a close with 4401
/// (or a 401 on the upgrade) means the device was revoked, which ends the stream with <see cref="State.DeviceRevokedException"/>.
/// </summary>
public sealed class HintStream(string server, string token, IReadOnlyList<Guid> vaults, ISyncObserver observer)
{
    /// <summary>Raised for every hint (vault, head) and once after each (re)connection with head -1 ("catch up").</summary>
    public event Action<Guid, long>? Hint;

    /// <summary>True while connected and subscribed.</summary>
    public bool Connected { get; private set; }

    /// <summary>Runs until cancelled or revoked.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        var warned = false;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(ct).ConfigureAwait(false);
                delay = TimeSpan.FromMilliseconds(100);
                warned = false;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (State.DeviceRevokedException)
            {
                throw;
            }
            catch (Exception e) when (e is WebSocketException or IOException or HttpRequestException or JsonException or InvalidOperationException)
            {
                if (!warned)
                {
                    observer.Message(MessageLevel.Warning, $"the change stream of {server} is not available ({Describe(e)}); polling instead, reconnecting with backoff");
                    warned = true;
                }
            }
            Connected = false;
            await Task.Delay(delay, ct).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(10_000, delay.TotalMilliseconds * 2));
        }
    }

    async Task RunOnceAsync(CancellationToken ct)
    {
        using var ws = new ClientWebSocket();
        ws.Options.SetRequestHeader("Authorization", "Bearer " + token);
        ws.Options.KeepAliveInterval = TimeSpan.FromSeconds(20);
        ws.Options.CollectHttpResponseDetails = true;
        var uri = new UriBuilder(new Uri(new Uri(server.TrimEnd('/') + "/"), "v1/stream"));
        uri.Scheme = uri.Scheme == "https" ? "wss" : "ws";
        try
        {
            await ws.ConnectAsync(uri.Uri, ct).ConfigureAwait(false);
        }
        catch (WebSocketException) when (ws.HttpStatusCode == System.Net.HttpStatusCode.Unauthorized)
        {
            throw new State.DeviceRevokedException("this device was revoked; run `tinysync register` or `tinysync login` again");
        }
        var subscribe = JsonSerializer.SerializeToUtf8Bytes(new SubscribeMessage(vaults), TinySyncJson.Options);
        await ws.SendAsync(subscribe, WebSocketMessageType.Text, true, ct).ConfigureAwait(false);
        var buffer = new byte[16 * 1024];
        while (!ct.IsCancellationRequested)
        {
            using var message = new MemoryStream();
            WebSocketReceiveResult result;
            do
            {
                result = await ws.ReceiveAsync(buffer, ct).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    if ((int?)ws.CloseStatus == StreamCloseCodes.Revoked)
                        throw new State.DeviceRevokedException("this device was revoked; run `tinysync register` or `tinysync login` again");
                    throw new IOException($"the server closed the stream ({ws.CloseStatus} {ws.CloseStatusDescription})");
                }
                message.Write(buffer, 0, result.Count);
            }
            while (!result.EndOfMessage);
            using var doc = JsonDocument.Parse(message.ToArray());
            var root = doc.RootElement;
            if (root.TryGetProperty("subscribed", out _))
            {
                Connected = true;
                foreach (var v in vaults) Hint?.Invoke(v, -1); // catch up on whatever happened while disconnected
            }
            else if (root.TryGetProperty("vault", out var vault) && root.TryGetProperty("head", out var head)
                && vault.TryGetGuid(out var id) && head.TryGetInt64(out var h))
            {
                Hint?.Invoke(id, h);
            }
        }
    }

    static string Describe(Exception e) => e.InnerException is { } inner ? inner.Message : e.Message;

    internal static string Utf8(ReadOnlySpan<byte> b) => Encoding.UTF8.GetString(b);
}
