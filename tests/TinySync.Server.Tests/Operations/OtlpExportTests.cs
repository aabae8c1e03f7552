using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using TinySync.Core.Contracts;
using TinySync.Core.Json;
using TinySync.Server.Tests.Support;

namespace TinySync.Server.Tests.Operations;

/// <summary>
/// OTLP export when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (decision 0009), on the real server process. The peer is
/// a minimal OTLP/HTTP receiver in the test (the collector's role): it keeps every body posted to <c>/v1/metrics</c>
/// and <c>/v1/traces</c>. Protobuf carries names as plain UTF-8, so a name is found in the body's bytes.
/// </summary>
public class OtlpExportTests
{
    sealed class Receiver : IAsyncDisposable
    {
        readonly WebApplication _app;

        Receiver(WebApplication app) => _app = app;

        public ConcurrentQueue<(string Signal, byte[] Body)> Received { get; } = new();

        public Uri Address => new(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

        public static async Task<Receiver> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var receiver = new Receiver(app);
            app.MapPost("/v1/{signal}", async (string signal, HttpRequest request) =>
            {
                using var body = new MemoryStream();
                await request.Body.CopyToAsync(body);
                receiver.Received.Enqueue((signal, body.ToArray()));
                return Results.Bytes([], "application/x-protobuf"); // an empty Export*ServiceResponse: all accepted
            });
            await app.StartAsync();
            return receiver;
        }

        public bool Got(string signal, string name) =>
            Received.Any(r => r.Signal == signal && r.Body.AsSpan().IndexOf(Encoding.UTF8.GetBytes(name)) >= 0);

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    [Fact]
    public async Task With_an_otlp_endpoint_set_the_server_exports_its_own_metrics_and_its_request_spans()
    {
        await using var collector = await Receiver.StartAsync();
        using var dir = new TempDir();
        await using var server = new ServerProcess(dir.Sub("data"), new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Address.ToString().TrimEnd('/'),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "250", // milliseconds (the default is a minute)
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
        });
        await server.StartAsync();
        using var admin = server.Client(TestServer.AdminTokenValue);
        (await admin.PostAsJsonAsync("v1/devices", new RegisterDeviceRequest("otlp"), TinySyncJson.Options)).EnsureSuccessStatusCode();

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!(collector.Got("metrics", "tinysync.devices.registered") && collector.Got("traces", "/v1/devices")) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        collector.Got("metrics", "tinysync.devices.registered").ShouldBeTrue($"no metrics export named TinySync's instrument; got {Describe(collector)}");
        collector.Got("metrics", "tinysync-server").ShouldBeTrue("the resource names the service");
        collector.Got("traces", "/v1/devices").ShouldBeTrue($"no span of the registration request was exported; got {Describe(collector)}");
    }

    static string Describe(Receiver r) => string.Join(", ", r.Received.GroupBy(x => x.Signal).Select(g => $"{g.Count()} × /v1/{g.Key}"));
}
