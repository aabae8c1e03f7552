using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TinySync.Client.State;
using TinySync.Core.Chunking;
using TinySync.Core.Contracts;
using TinySync.Core.Json;

namespace TinySync.EndToEnd.Tests.Support;

/// <summary>
/// The one fake server of the suite: a compromised or broken server the real one cannot be made into (Kestrel on a
/// loopback port). Fakes are allowed only for this, a hostile server or a fault the real server cannot produce on
/// demand; every other test runs the real server. It answers the device API's read side from what the test adds —
/// tree rows and log rows with any paths at all (<c>../x</c>, absolute, <c>\</c>, NUL, non-NFC), each file one chunk
/// of its content — or, where <see cref="Tree"/> or <see cref="Log"/> is set, from that script. It checks no token,
/// counts every request, and answers any other route with <see cref="OtherRoutes"/>.
/// </summary>
public sealed class HostileServer : IAsyncDisposable
{
    readonly Dictionary<string, byte[]> _chunks = new(StringComparer.Ordinal);
    readonly List<Item> _tree = [];
    readonly List<LogEntry> _log = [];
    WebApplication _app = null!;

    public string Url { get; private set; } = "";
    public Guid Vault { get; } = Guid.NewGuid();
    public Guid ServerDevice { get; } = Guid.NewGuid();

    /// <summary>Scripted tree answers, by the number of the call (1, 2, ...); null answers the added rows.</summary>
    public Func<long, TreePage>? Tree { get; init; }

    /// <summary>Scripted log answers, by the <c>after</c> asked for; null answers the added log rows.</summary>
    public Func<long, LogPage>? Log { get; init; }

    /// <summary>
    /// The status of every route not mapped: 404 (the default) is a server without it, e.g. an older one without the
    /// chunk batch routes, so the client falls back to one GET per chunk; 500 is a broken one.
    /// </summary>
    public int OtherRoutes { get; init; } = StatusCodes.Status404NotFound;

    /// <summary>Requests answered, in order ("GET /v1/vaults/.../tree"): what the client asked for.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>A device token of the right shape (the fake checks nothing).</summary>
    public static string Token(Guid device) => $"tsdev_{device}_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

    public void AddFile(string path, string content, long version)
    {
        _tree.Add(new Item { Path = path, Kind = ItemKind.File, Version = version, Size = content.Length, Chunks = [Chunk(content)], Executable = false });
    }

    public void AddDir(string path, long version) => _tree.Add(new Item { Path = path, Kind = ItemKind.Dir, Version = version });

    /// <summary>A log row after the tree's seq: a put of <paramref name="path"/>, or a move of it to <paramref name="newPath"/>.</summary>
    public void AddLogRow(long seq, OpKind kind, string path, string? newPath = null, string? content = null) => _log.Add(new LogEntry
    {
        Seq = seq, OpId = Guid.NewGuid(), DeviceId = ServerDevice, Kind = kind, Container = "default", Path = path, NewPath = newPath,
        Size = content?.Length, Chunks = content is null ? null : [Chunk(content)], Executable = content is null ? null : false,
        CommittedAt = DateTimeOffset.UtcNow,
    });

    string Chunk(string content)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(content);
        var hash = ChunkHash.Compute(bytes);
        _chunks[hash] = bytes;
        return hash;
    }

    /// <summary>Starts answering; <paramref name="treeSeq"/> is the seq of the added tree rows.</summary>
    public async Task StartAsync(long treeSeq = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.Use(async (ctx, next) =>
        {
            Requests.Enqueue(ctx.Request.Method + " " + ctx.Request.Path);
            await next(ctx);
        });
        var treeCalls = 0L;
        _app.MapGet("/v1/vaults/{vault}/tree", () =>
        {
            var call = Interlocked.Increment(ref treeCalls);
            return Results.Json(Tree?.Invoke(call) ?? new TreePage(treeSeq, _tree, null), TinySyncJson.Options);
        });
        _app.MapGet("/v1/vaults/{vault}/log", (long after) => Results.Json(Log?.Invoke(after) ?? AddedLog(after, treeSeq), TinySyncJson.Options));
        _app.MapGet("/v1/vaults/{vault}/chunks/{hash}", (string hash) =>
            _chunks.TryGetValue(hash, out var bytes) ? Results.Bytes(bytes, "application/octet-stream") : Results.NotFound());
        _app.MapPost("/v1/vaults/{vault}/chunks/missing", () => Results.Json(new { missing = Array.Empty<string>() }, TinySyncJson.Options));
        _app.MapFallback(() => Results.StatusCode(OtherRoutes));
        await _app.StartAsync();
        Url = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    LogPage AddedLog(long after, long treeSeq) =>
        new([.. _log.Where(e => e.Seq > after)], _log.Count == 0 ? treeSeq : _log.Max(e => e.Seq), false);

    /// <summary>A state directory for the real CLI: an identity on this server and <paramref name="folder"/> linked to its vault.</summary>
    public string Home(TempDir dir, string folder, Guid device)
    {
        var state = new StateDirectory(dir.Sub("home"));
        state.SaveIdentity(new ClientIdentity { Server = Url, DeviceId = device, DisplayName = "victim", Token = Token(device) });
        state.AddLink(Vault, null, "default", folder);
        return state.Root;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
