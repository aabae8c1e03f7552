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

/// <summary>Helpers shared by the stream tests.</summary>
internal static class StreamKit
{
    public static ISignalBus Bus(TestServer server) => server.App.Services.GetRequiredService<ISignalBus>();

    public static StreamHub Hub(TestServer server) => server.App.Services.GetRequiredService<StreamHub>();

    public static string[] Strings(JsonElement e, string property) =>
        [.. e.GetProperty(property).EnumerateArray().Select(x => x.GetString()!)];

    public static async Task<StreamClient> SubscribedAsync(TestServer server, string token, params Guid[] vaults)
    {
        var stream = await StreamClient.ConnectAsync(server, token);
        await stream.SubscribeAsync([.. vaults.Cast<object>()]);
        var reply = await stream.ReceiveAsync();
        Strings(reply, "subscribed").ShouldBe(vaults.Select(v => v.ToString()).ToArray());
        Strings(reply, "denied").ShouldBeEmpty();
        return stream;
    }

    public static async Task<StreamConnection> ServerSideAsync(TestServer server, Guid device)
    {
        // The connection registers right after the upgrade; wait for it rather than assume.
        using var timeout = new CancellationTokenSource(StreamClient.Patience);
        while (true)
        {
            if (Hub(server).ConnectionsOf(device) is [var c]) return c;
            await Task.Delay(10, timeout.Token);
        }
    }

    /// <summary>Counters move right after the frame leaves, so the client may be a moment ahead: poll.</summary>
    public static async Task MetricsShowAsync(HttpClient client, params string[] lines)
    {
        using var timeout = new CancellationTokenSource(StreamClient.Patience);
        while (true)
        {
            var metrics = PrometheusText.WithoutScope(await client.GetStringAsync("metrics"));
            if (lines.All(l => metrics.Contains(l, StringComparison.Ordinal))) return;
            if (timeout.IsCancellationRequested)
            {
                var ours = string.Join('\n', metrics.Split('\n').Where(l => l.StartsWith("tinysync_", StringComparison.Ordinal)));
                foreach (var line in lines) ours.ShouldContain(line.TrimEnd('\n'), customMessage: $"TinySync series:\n{ours}");
            }
            await Task.Delay(20);
        }
    }
}
