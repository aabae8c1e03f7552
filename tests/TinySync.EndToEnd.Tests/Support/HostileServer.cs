using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TinySync.Core.Chunking;
using TinySync.Core.Contracts;
using TinySync.Core.Json;

namespace TinySync.EndToEnd.Tests.Support;

/// <summary>
/// A compromised server (Kestrel on a loopback port) that answers the device API's read side — tree, log, chunks —
/// with whatever paths it is given: <c>../x</c>, absolute paths, <c>\</c>, NUL, non-NFC. The one fake of its kind: a
/// real server never sends these. Each file is one chunk of its content.
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

    /// <summary>A device token of the right shape (the fake checks nothing).</summary>
    public static string Token(Guid device) => $"tsdev_{device}_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

    /// <summary>Requests answered, by path (to see what the client asked for).</summary>
    public List<string> Requests { get; } = [];

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

    public async Task StartAsync(long treeSeq)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.Use(async (ctx, next) =>
        {
            lock (Requests) Requests.Add(ctx.Request.Method + " " + ctx.Request.Path);
            await next(ctx);
        });
        _app.MapGet("/v1/vaults/{vault}/tree", () => Results.Json(new TreePage(treeSeq, _tree, null), TinySyncJson.Options));
        _app.MapGet("/v1/vaults/{vault}/log", (long after) =>
        {
            var rows = _log.Where(e => e.Seq > after).ToList();
            return Results.Json(new LogPage(rows, _log.Count == 0 ? treeSeq : _log.Max(e => e.Seq), false), TinySyncJson.Options);
        });
        _app.MapGet("/v1/vaults/{vault}/chunks/{hash}", (string hash) =>
            _chunks.TryGetValue(hash, out var bytes) ? Results.Bytes(bytes, "application/octet-stream") : Results.NotFound());
        _app.MapPost("/v1/vaults/{vault}/chunks/missing", () => Results.Json(new { missing = Array.Empty<string>() }, TinySyncJson.Options));
        // no chunks/fetch or chunks/batch route: the client falls back to one GET per chunk, as with an older server
        await _app.StartAsync();
        Url = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
