using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TinySync.Client.State;
using TinySync.Core.Contracts;
using TinySync.Core.Json;

namespace TinySync.EndToEnd.Tests.Support;

/// <summary>
/// A hostile or broken server the real one cannot be made into: Kestrel on a loopback port answering the tree and log
/// routes from scripts, and counting every request. Anything else is 500 (the test says what it expects).
/// </summary>
public sealed class ScriptedServer : IAsyncDisposable
{
    WebApplication _app = null!;

    public required Func<long, TreePage> Tree { get; init; }
    public required Func<long, LogPage> Log { get; init; }
    public ConcurrentQueue<string> Requests { get; } = new();
    public string Url { get; private set; } = "";
    public Guid Vault { get; } = Guid.NewGuid();

    public async Task StartAsync()
    {
        var b = WebApplication.CreateSlimBuilder();
        b.Logging.ClearProviders();
        b.WebHost.UseUrls("http://127.0.0.1:0");
        _app = b.Build();
        _app.Use(async (ctx, next) =>
        {
            Requests.Enqueue(ctx.Request.Method + " " + ctx.Request.Path);
            await next(ctx);
        });
        var calls = 0L;
        _app.MapGet("/v1/vaults/{vid}/tree", () => Results.Json(Tree(Interlocked.Increment(ref calls)), TinySyncJson.Options));
        _app.MapGet("/v1/vaults/{vid}/log", (long after) => Results.Json(Log(after), TinySyncJson.Options));
        _app.MapFallback(() => Results.StatusCode(500));
        await _app.StartAsync();
        Url = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    /// <summary>A state directory with an identity on this server and <paramref name="folder"/> linked to its vault.</summary>
    public string Home(TempDir dir, string folder, Guid device)
    {
        var state = new StateDirectory(dir.Sub("home"));
        state.SaveIdentity(new ClientIdentity
        {
            Server = Url, DeviceId = device, DisplayName = "victim",
            Token = $"tsdev_{device}_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        });
        state.AddLink(Vault, null, "default", folder);
        return state.Root;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
