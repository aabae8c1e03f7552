using System.Net.Http.Headers;
using System.Net.Http.Json;
using TinySync.Core.Chunking;
using TinySync.Core.Contracts;
using TinySync.Core.Json;

namespace TinySync.Server.Tests.Support;

/// <summary>A device's view of one vault over the real HTTP wire: ops, log, tree, chunks, history.</summary>
public sealed class SyncClient(HttpClient http, Guid vaultId, Guid deviceId) : IDisposable
{
    public HttpClient Http { get; } = http;
    public Guid VaultId { get; } = vaultId;
    public Guid DeviceId { get; } = deviceId;
    public string Base => $"v1/vaults/{VaultId}";

    public static async Task<SyncClient> CreateAsync(TestServer server, string name = "device")
    {
        var (device, vault) = await server.DeviceWithVaultAsync(name);
        return new SyncClient(server.Client(device.Token), vault.VaultId, device.DeviceId);
    }

    /// <summary>A second device of the same vault (through a fresh group).</summary>
    public async Task<SyncClient> PeerAsync(TestServer server, string name = "peer")
    {
        var device = await server.RegisterAsync(name);
        var group = "g-" + Guid.NewGuid().ToString("N");
        await server.AddDeviceToGroupAsync(group, device.DeviceId);
        await server.AddVaultToGroupAsync(group, VaultId);
        return new SyncClient(server.Client(device.Token), VaultId, device.DeviceId);
    }

    public async Task<OpsResponse> CommitAsync(params Op[] ops)
    {
        var r = await Http.PostAsJsonAsync($"{Base}/ops", new OpsRequest(ops), TinySyncJson.Options);
        r.EnsureSuccessStatusCode();
        return (await r.Content.ReadFromJsonAsync<OpsResponse>(TinySyncJson.Options))!;
    }

    /// <summary>Commits one op and returns its result.</summary>
    public async Task<OpResult> OneAsync(Op op) => (await CommitAsync(op)).Results.Single();

    /// <summary>Commits one op that must commit; returns its seq.</summary>
    public async Task<long> OkAsync(Op op)
    {
        var result = await OneAsync(op);
        result.Status.ShouldBe(OpStatus.Committed, $"{op.Kind} {op.Path}: {result.Code} {result.Detail}");
        return result.Seq!.Value;
    }

    public Task<HttpResponseMessage> PostOpsRawAsync(string json) => Http.PostAsync($"{Base}/ops", ProblemAssertions.Json(json));

    public async Task<LogPage> LogAsync(long after = 0, int? limit = null)
    {
        var url = $"{Base}/log?after={after}" + (limit is { } l ? $"&limit={l}" : "");
        return (await Http.GetFromJsonAsync<LogPage>(url, TinySyncJson.Options))!;
    }

    /// <summary>Every log row after <paramref name="after"/>, following has_more.</summary>
    public async Task<List<LogEntry>> FullLogAsync(long after = 0)
    {
        var all = new List<LogEntry>();
        while (true)
        {
            var page = await LogAsync(after);
            all.AddRange(page.Entries);
            if (!page.HasMore) return all;
            after = page.Entries[^1].Seq;
        }
    }

    public async Task<TreePage> TreePageAsync(string container = "default", string? cursor = null, int? limit = null)
    {
        var url = $"{Base}/tree?container={container}" + (cursor is null ? "" : $"&cursor={cursor}") + (limit is { } l ? $"&limit={l}" : "");
        return (await Http.GetFromJsonAsync<TreePage>(url, TinySyncJson.Options))!;
    }

    public async Task<List<Item>> TreeAsync(string container = "default")
    {
        var items = new List<Item>();
        string? cursor = null;
        do
        {
            var page = await TreePageAsync(container, cursor);
            items.AddRange(page.Entries);
            cursor = page.Next;
        } while (cursor is not null);
        return items;
    }

    public async Task<HistoryPage> HistoryAsync(string path, string container = "default") =>
        (await Http.GetFromJsonAsync<HistoryPage>($"{Base}/history?container={container}&path={Uri.EscapeDataString(path)}", TinySyncJson.Options))!;

    public async Task<DeletedPage> DeletedAsync(string? under = null, string? cursor = null, int? limit = null, string container = "default")
    {
        var url = $"{Base}/deleted?container={container}" + (under is null ? "" : $"&under={Uri.EscapeDataString(under)}")
            + (cursor is null ? "" : $"&cursor={cursor}") + (limit is { } l ? $"&limit={l}" : "");
        return (await Http.GetFromJsonAsync<DeletedPage>(url, TinySyncJson.Options))!;
    }

    public Task<HttpResponseMessage> PutChunkRawAsync(string hash, byte[] data, bool expectContinue = false)
    {
        var content = new ByteArrayContent(data);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var request = new HttpRequestMessage(HttpMethod.Put, $"{Base}/chunks/{hash}") { Content = content };
        if (expectContinue) request.Headers.ExpectContinue = true; // a refusal arrives before the body is sent
        return Http.SendAsync(request);
    }

    /// <summary>Uploads bytes as one chunk; returns its hash.</summary>
    public async Task<string> UploadAsync(byte[] data)
    {
        var hash = ChunkHash.Compute(data);
        var r = await PutChunkRawAsync(hash, data);
        r.EnsureSuccessStatusCode();
        return hash;
    }

    /// <summary>Uploads <paramref name="data"/> as one chunk and puts it at <paramref name="path"/>.</summary>
    public async Task<long> PutFileAsync(string path, byte[] data, long @base = 0)
    {
        var hash = await UploadAsync(data);
        return await OkAsync(Ops.Put(path, @base, data.Length, hash));
    }

    public async Task<List<string>> MissingAsync(params string[] hashes)
    {
        var r = await Http.PostAsJsonAsync($"{Base}/chunks/missing", new MissingChunksRequest(hashes), TinySyncJson.Options);
        r.EnsureSuccessStatusCode();
        return [.. (await r.Content.ReadFromJsonAsync<MissingChunksResponse>(TinySyncJson.Options))!.Missing];
    }

    public void Dispose() => Http.Dispose();
}

/// <summary>Op builders.</summary>
public static class Ops
{
    public static Op Put(string path, long @base, long size, params string[] chunks) =>
        new() { OpId = Guid.NewGuid(), Kind = OpKind.Put, Path = path, Base = @base, Size = size, Chunks = chunks, Executable = false,
            Mtime = new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero) };

    /// <summary>An empty file (no chunks needed).</summary>
    public static Op Empty(string path, long @base = 0) => Put(path, @base, 0);

    public static Op Mkdir(string path, long @base = 0) => new() { OpId = Guid.NewGuid(), Kind = OpKind.Mkdir, Path = path, Base = @base };

    public static Op Delete(string path, long @base) => new() { OpId = Guid.NewGuid(), Kind = OpKind.Delete, Path = path, Base = @base };

    public static Op Move(string path, string newPath, long @base) =>
        new() { OpId = Guid.NewGuid(), Kind = OpKind.Move, Path = path, NewPath = newPath, Base = @base };

    public static Op In(this Op op, string container) => op with { Container = container };
}
