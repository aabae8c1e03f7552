using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TinySync.Core.Contracts;
using TinySync.Core.Json;
using TinySync.Server.Hosting;
using TinySync.Server.Signals;

// Stream macro benchmark (see RESULTS.md). Parent: a real TinySync server in this process on loopback.
//   phase 1: --streams streams (ClientWebSocket, in this process) subscribed to one vault, one commit at a time:
//            (a) real commits through POST /v1/vaults/{vid}/ops, timed from sending the request, then
//            (b) --commits commits published straight into the server's signal bus, timed from the publish;
//            for every commit and every stream, the time to the receipt of the hint.
//   phase 2: --idle streams opened by a child process (so their client memory is not counted); this process's
//            working set and managed heap before and after, and the time for one commit to reach all of them.
// Child mode: --clients URL VAULT TOKENS_FILE COUNT.

if (args.Length > 0 && args[0] == "--clients") return await Clients.RunAsync(args);
if (args.Contains("--baseline")) return await Baseline.RunAsync(Arg("--idle", 10_000));

var streams = Arg("--streams", 1000);
var commits = Arg("--commits", 300);
var idle = Arg("--idle", 10_000);
var devices = Arg("--devices", 1000);
const int Warmup = 30;

var dataDir = Directory.CreateTempSubdirectory("tinysync-stream-bench").FullName;
const string AdminToken = "tsadm_stream-bench-admin-token-0123456789";
var app = await TinySyncServer.BuildAsync(
    ["--urls=http://127.0.0.1:0", $"--TINYSYNC_DATA_DIR={dataDir}", $"--TINYSYNC_ADMIN_TOKEN={AdminToken}"],
    b => b.Logging.SetMinimumLevel(LogLevel.Warning));
await app.StartAsync();
var baseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/";
var bus = app.Services.GetRequiredService<ISignalBus>();
Console.WriteLine($"# TinySync stream benchmark  {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC  {Environment.ProcessorCount} cores  " +
                  $"{RuntimeInformation.FrameworkDescription}  load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");

// ---- Setup: one vault shared by `devices` devices through one group ----------------------------------------------
using var admin = new HttpClient { BaseAddress = new Uri(baseUrl) };
admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
var vault = (await (await admin.PostAsJsonAsync("v1/vaults", new VaultRequest("bench"), TinySyncJson.Options))
    .EnsureSuccessStatusCode().Content.ReadFromJsonAsync<VaultView>(TinySyncJson.Options))!.VaultId;
(await admin.PutAsync($"v1/groups/bench/vaults/{vault}", null)).EnsureSuccessStatusCode();
var tokens = new string[devices];
var setup = Stopwatch.StartNew();
await Parallel.ForAsync(0, devices, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
{
    var registered = (await (await admin.PostAsJsonAsync("v1/devices", new RegisterDeviceRequest($"bench {i}"), TinySyncJson.Options, ct))
        .EnsureSuccessStatusCode().Content.ReadFromJsonAsync<DeviceRegistered>(TinySyncJson.Options, ct))!;
    (await admin.PutAsync($"v1/groups/bench/devices/{registered.DeviceId}", null, ct)).EnsureSuccessStatusCode();
    tokens[i] = registered.Token;
});
Console.WriteLine($"setup: {devices} devices in one group with vault {vault} ({setup.Elapsed.TotalSeconds:F1} s)");
var streamUri = new Uri(baseUrl.Replace("http://", "ws://", StringComparison.Ordinal) + "v1/stream");

// ---- Phase 1: commit-to-hint latency -----------------------------------------------------------------------------
{
    var real = Math.Min(commits, 100) + Warmup;
    var total = real + commits;
    var received = new long[streams, total + 1];
    var clients = new ClientWebSocket[streams];
    CountdownEvent? round = null;
    var open = Stopwatch.StartNew();
    await Parallel.ForAsync(0, streams, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, ct) =>
    {
        clients[i] = await Clients.OpenAsync(streamUri, tokens[i % devices], vault, ct);
    });
    Console.WriteLine($"phase 1: {streams} streams open and subscribed ({open.Elapsed.TotalSeconds:F1} s)");
    var readers = new Task[streams];
    for (var i = 0; i < streams; i++)
    {
        var s = i;
        readers[i] = Task.Run(async () =>
        {
            var buffer = new byte[256];
            while (true)
            {
                var r = await clients[s].ReceiveAsync(buffer, CancellationToken.None);
                if (r.MessageType == WebSocketMessageType.Close) return;
                var now = Stopwatch.GetTimestamp();
                var head = Clients.Head(buffer.AsSpan(0, r.Count));
                received[s, head] = now;
                round!.Signal();
            }
        });
    }
    // Heads 1..real come from real commits, the rest from publishing straight into the signal bus.
    var published = new long[total + 1];
    // When did the server finish writing a commit's hints (its last SendAsync returned)? Measured through the
    // server's own hints-sent counter, so the clients' share of the CPU is not in this figure.
    var serverDone = new long[total + 1];
    var sentInRound = 0;
    var currentHead = 0;
    using var listener = new System.Diagnostics.Metrics.MeterListener();
    listener.InstrumentPublished = (instrument, l) =>
    {
        if (instrument.Name == "tinysync.streams.hints_sent") l.EnableMeasurementEvents(instrument);
    };
    listener.SetMeasurementEventCallback<long>((_, _, _, _) =>
    {
        if (Interlocked.Increment(ref sentInRound) == streams) serverDone[Volatile.Read(ref currentHead)] = Stopwatch.GetTimestamp();
    });
    listener.Start();

    // (a) end to end: a real commit (POST /v1/vaults/{vid}/ops, one mkdir, SQLite WAL) by device 0, from the moment
    // the request is sent to receipt on every stream.
    using var writer = new HttpClient { BaseAddress = new Uri(baseUrl) };
    writer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tokens[0]);
    var postMs = new List<double>();
    for (var head = 1; head <= real; head++)
    {
        round = new CountdownEvent(streams);
        Volatile.Write(ref sentInRound, 0);
        Volatile.Write(ref currentHead, head);
        published[head] = Stopwatch.GetTimestamp();
        var body = $$"""{"ops":[{"op_id":"{{Guid.NewGuid()}}","kind":"mkdir","container":"default","path":"d{{head}}","base":0}]}""";
        (await writer.PostAsync($"v1/vaults/{vault}/ops", new StringContent(body, Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        if (head > Warmup) postMs.Add(Stopwatch.GetElapsedTime(published[head]).TotalMilliseconds);
        if (!round.Wait(TimeSpan.FromSeconds(30))) throw new TimeoutException($"real commit {head}: {round.CurrentCount} streams got no hint");
    }
    Report($"phase 1a: real commit (POST .../ops) to hint, {streams} streams x {real - Warmup} commits (after {Warmup} warm-up commits):", Warmup + 1, real);
    Console.WriteLine($"  the POST itself (commit, then fan-out on the request thread, then the response): p50 {P(postMs, 50):F2} ms  p99 {P(postMs, 99):F2} ms");

    // (b) the stream alone: from PublishCommit (what the ops endpoint calls after its transaction) to receipt.
    // CPU time of this process (server and the clients together) per commit is less sensitive to machine load than
    // wall-clock latency.
    var cpuBefore = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
    for (var head = real + 1; head <= total; head++)
    {
        round = new CountdownEvent(streams);
        Volatile.Write(ref sentInRound, 0);
        Volatile.Write(ref currentHead, head);
        published[head] = Stopwatch.GetTimestamp();
        bus.PublishCommit(vault, head);
        if (!round.Wait(TimeSpan.FromSeconds(30))) throw new TimeoutException($"commit {head}: {round.CurrentCount} streams got no hint");
    }
    var cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
    Report($"phase 1b: publish to hint, {streams} streams x {commits} commits:", real + 1, total);
    Console.WriteLine($"  CPU of server + clients per commit: {cpu.TotalMilliseconds / commits:F2} ms ({cpu.TotalMilliseconds * 1000 / commits / streams:F1} µs per hint, both ends)");

    void Report(string title, int firstHead, int lastHead)
    {
        var all = new List<double>(streams * (lastHead - firstHead + 1));
        var last = new List<double>(lastHead - firstHead + 1);
        for (var head = firstHead; head <= lastHead; head++)
        {
            double slowest = 0;
            for (var s = 0; s < streams; s++)
            {
                var ms = Stopwatch.GetElapsedTime(published[head], received[s, head]).TotalMilliseconds;
                all.Add(ms);
                slowest = Math.Max(slowest, ms);
            }
            last.Add(slowest);
        }
        var server = new List<double>();
        for (var head = firstHead; head <= lastHead; head++)
            if (serverDone[head] != 0) server.Add(Stopwatch.GetElapsedTime(published[head], serverDone[head]).TotalMilliseconds);
        Console.WriteLine(title);
        Console.WriteLine($"  server wrote all {streams} hints: p50 {P(server, 50):F2} ms  p99 {P(server, 99):F2} ms  max {server.Max():F2} ms");
        Console.WriteLine($"  every (stream, commit):      p50 {P(all, 50):F2} ms  p99 {P(all, 99):F2} ms  max {all.Max():F2} ms");
        Console.WriteLine($"  last stream of each commit:  p50 {P(last, 50):F2} ms  p99 {P(last, 99):F2} ms  max {last.Max():F2} ms");
    }
    foreach (var c in clients)
    {
        try
        {
            await c.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
        }
        catch (WebSocketException)
        {
            // already gone
        }
    }
    await Task.WhenAll(readers).WaitAsync(TimeSpan.FromSeconds(30));
    foreach (var c in clients) c.Dispose();
}

// ---- Phase 2: idle streams and server memory ---------------------------------------------------------------------
await Task.Delay(2000); // let phase 1's connections finish closing
await IdlePhase.RunAsync(streamUri, vault, tokens, idle, dataDir, head => bus.PublishCommit(vault, head),
    async () => (await admin.DeleteAsync($"v1/groups/bench/vaults/{vault}")).EnsureSuccessStatusCode());

await app.StopAsync();
await app.DisposeAsync();
Directory.Delete(dataDir, recursive: true);
return 0;

int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}

static double P(List<double> values, int percentile)
{
    var sorted = values.Order().ToArray();
    return sorted[Math.Clamp((int)Math.Ceiling(percentile / 100.0 * sorted.Length) - 1, 0, sorted.Length - 1)];
}

readonly record struct Memory(long WorkingSet, long Heap, long Committed)
{
    public static Memory Measure()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        using var p = Process.GetCurrentProcess();
        return new Memory(p.WorkingSet64, GC.GetTotalMemory(forceFullCollection: true), GC.GetGCMemoryInfo().TotalCommittedBytes);
    }

    public override string ToString() =>
        $"working set {WorkingSet / 1048576.0:F1} MiB, managed heap {Heap / 1048576.0:F1} MiB (GC committed {Committed / 1048576.0:F1} MiB)";
}

static class Clients
{
    public static async Task<ClientWebSocket> OpenAsync(Uri uri, string token, Guid vault, CancellationToken ct)
    {
        var ws = new ClientWebSocket();
        ws.Options.SetRequestHeader("Authorization", "Bearer " + token);
        ws.Options.KeepAliveInterval = TimeSpan.Zero; // the server pings; the client answers
        await ws.ConnectAsync(uri, ct);
        await ws.SendAsync(Encoding.UTF8.GetBytes($$"""{"subscribe":["{{vault}}"]}"""), WebSocketMessageType.Text, true, ct);
        var buffer = new byte[512];
        var r = await ws.ReceiveAsync(buffer, ct);
        using var reply = JsonDocument.Parse(buffer.AsMemory(0, r.Count));
        if (reply.RootElement.GetProperty("subscribed").GetArrayLength() != 1) throw new InvalidOperationException("subscription denied");
        return ws;
    }

    /// <summary>The head of a hint frame <c>{"vault":"…","head":N}</c>.</summary>
    public static int Head(ReadOnlySpan<byte> frame)
    {
        var at = frame.LastIndexOf("\"head\":"u8) + 7;
        return int.Parse(frame[at..^1], CultureInfo.InvariantCulture);
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var uri = new Uri(args[1]);
        var vault = Guid.Parse(args[2]);
        var tokens = await File.ReadAllLinesAsync(args[3]);
        var count = int.Parse(args[4], CultureInfo.InvariantCulture);
        var clients = new ClientWebSocket[count];
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, ct) =>
        {
            clients[i] = await OpenAsync(uri, tokens[i % tokens.Length], vault, ct);
        });
        const int Rounds = 5;
        var received = new long[Rounds + 1, count];
        var rounds = Enumerable.Range(0, Rounds + 1).Select(_ => new CountdownEvent(count)).ToArray();
        var deniedAt = new long[count];
        var denied = new CountdownEvent(count);
        var readers = clients.Select((ws, i) => Task.Run(async () =>
        {
            var buffer = new byte[128];
            try
            {
                while (true)
                {
                    // zero-byte read first: an idle client holds no buffer either
                    var r = await ws.ReceiveAsync(Memory<byte>.Empty, CancellationToken.None);
                    if (r.MessageType == WebSocketMessageType.Close) return;
                    r = await ws.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
                    if (r.MessageType == WebSocketMessageType.Close) return;
                    if (buffer.AsSpan(0, r.Count).StartsWith("{\"denied\""u8))
                    {
                        deniedAt[i] = Stopwatch.GetTimestamp();
                        denied.Signal();
                        continue;
                    }
                    var head = Head(buffer.AsSpan(0, r.Count));
                    if (head is >= 1 and <= Rounds)
                    {
                        received[head, i] = Stopwatch.GetTimestamp();
                        rounds[head].Signal();
                    }
                }
            }
            catch (WebSocketException)
            {
                // the parent stopped
            }
        })).ToArray();
        Console.WriteLine("READY");
        while (await Console.In.ReadLineAsync() is { } line)
        {
            var parts = line.Split(' ');
            var t0 = long.Parse(parts[1], CultureInfo.InvariantCulture);
            if (parts[0] == "D")
            {
                if (!denied.Wait(TimeSpan.FromSeconds(60)))
                {
                    Console.WriteLine($"TIMEOUT: {denied.CurrentCount} streams were not told");
                    continue;
                }
                var d = deniedAt.Select(t => Stopwatch.GetElapsedTime(t0, t).TotalMilliseconds).Order().ToArray();
                Console.WriteLine($"all {count} told {{\"denied\"}}: first {d[0]:F1} ms, p50 {d[count / 2]:F1} ms, last {d[^1]:F1} ms after the DELETE was sent");
                continue;
            }
            var head = int.Parse(parts[2], CultureInfo.InvariantCulture);
            if (!rounds[head].Wait(TimeSpan.FromSeconds(60)))
            {
                Console.WriteLine($"TIMEOUT: {rounds[head].CurrentCount} streams got no hint");
                continue;
            }
            var ms = Enumerable.Range(0, count).Select(i => Stopwatch.GetElapsedTime(t0, received[head, i]).TotalMilliseconds).Order().ToArray();
            Console.WriteLine($"all {count} hints received: first {ms[0]:F1} ms, p50 {ms[count / 2]:F1} ms, p99 {ms[(int)(count * 0.99) - 1]:F1} ms, last {ms[^1]:F1} ms after the publish");
        }
        foreach (var ws in clients) ws.Abort();
        return 0;
    }
}

/// <summary>Phase 2: a child process holds the streams; this process's memory before and after.</summary>
static class IdlePhase
{
    public static async Task RunAsync(Uri streamUri, Guid vault, string[] tokens, int idle, string dataDir, Action<int>? publish, Func<Task>? dropAccess = null)
    {
        var before = Memory.Measure();
        Console.WriteLine($"phase 2: before: {before}");
        var tokensFile = Path.Combine(dataDir, "tokens.txt");
        await File.WriteAllLinesAsync(tokensFile, tokens);
        var self = Environment.ProcessPath!.EndsWith("dotnet", StringComparison.Ordinal)
            ? new ProcessStartInfo("dotnet", [typeof(Clients).Assembly.Location])
            : new ProcessStartInfo(Environment.ProcessPath!);
        foreach (var a in new[] { "--clients", streamUri.ToString(), vault.ToString(), tokensFile, idle.ToString(CultureInfo.InvariantCulture) })
            self.ArgumentList.Add(a);
        self.RedirectStandardInput = true;
        self.RedirectStandardOutput = true;
        using var child = Process.Start(self)!;
        var open = Stopwatch.StartNew();
        var line = await child.StandardOutput.ReadLineAsync();
        if (line != "READY") throw new InvalidOperationException($"client process: {line}");
        Console.WriteLine($"phase 2: {idle} idle streams open and subscribed, held by a child process ({open.Elapsed.TotalSeconds:F1} s)");
        await Task.Delay(5000);
        var after = Memory.Measure();
        Console.WriteLine($"phase 2: after:  {after}");
        Console.WriteLine($"phase 2: per stream: working set {(after.WorkingSet - before.WorkingSet) / (double)idle / 1024:F1} KiB, " +
                          $"managed heap {(after.Heap - before.Heap) / (double)idle / 1024:F1} KiB");

        for (var head = 1; publish is not null && head <= 5; head++)
        {
            await Task.Delay(200);
            var t0 = Stopwatch.GetTimestamp(); // CLOCK_MONOTONIC: comparable with the child's timestamps
            publish(head);
            await child.StandardInput.WriteLineAsync($"T0 {t0} {head}");
            await child.StandardInput.FlushAsync();
            Console.WriteLine($"phase 2: one commit to {idle} streams: {await child.StandardOutput.ReadLineAsync()}");
        }
        if (dropAccess is not null)
        {
            double recheckSeconds = 0;
            using var listener = new System.Diagnostics.Metrics.MeterListener();
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Name == "tinysync.streams.recheck.duration") l.EnableMeasurementEvents(instrument);
            };
            listener.SetMeasurementEventCallback<double>((_, value, _, _) => Volatile.Write(ref recheckSeconds, value));
            listener.Start();
            // Loss of access: remove the group→vault edge; every stream must get {"denied": [vault]}.
            await Task.Delay(200);
            var t0 = Stopwatch.GetTimestamp();
            await dropAccess();
            var deleteMs = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            await child.StandardInput.WriteLineAsync($"D {t0}");
            await child.StandardInput.FlushAsync();
            Console.WriteLine($"phase 2: group-vault edge removed (DELETE answered in {deleteMs:F1} ms), {idle} streams: {await child.StandardOutput.ReadLineAsync()}");
            Console.WriteLine($"phase 2: the server's re-check pass (after which no hint of the vault is queued) took {Volatile.Read(ref recheckSeconds) * 1000:F1} ms");
        }
        child.StandardInput.Close();
        await child.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
    }
}

/// <summary>
/// The floor: a bare Kestrel WebSocket endpoint with the same slim builder and the same handshake (answers the
/// subscribe, then waits with zero-byte reads), no TinySync. Run with --baseline; compare its per-stream memory.
/// </summary>
static class Baseline
{
    public static async Task<int> RunAsync(int idle)
    {
        var builder = WebApplication.CreateSlimBuilder(["--urls=http://127.0.0.1:0"]);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        app.UseWebSockets();
        app.MapGet("/v1/stream", async (Microsoft.AspNetCore.Http.HttpContext http) =>
        {
            using var ws = await http.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[512];
            var r = await ws.ReceiveAsync(buffer, CancellationToken.None);
            using var message = JsonDocument.Parse(buffer.AsMemory(0, r.Count));
            var vault = message.RootElement.GetProperty("subscribe")[0].GetString();
            await ws.SendAsync(Encoding.UTF8.GetBytes($$"""{"subscribed":["{{vault}}"],"denied":[]}"""), WebSocketMessageType.Text, true, CancellationToken.None);
            try
            {
                while ((await ws.ReceiveAsync(Memory<byte>.Empty, CancellationToken.None)).MessageType != WebSocketMessageType.Close)
                {
                    // idle
                }
            }
            catch (WebSocketException)
            {
                // the client went away
            }
        });
        await app.StartAsync();
        var baseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/";
        Console.WriteLine($"# baseline: bare Kestrel WebSocket endpoint, no TinySync  {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC  load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        var dataDir = Directory.CreateTempSubdirectory("tinysync-stream-baseline").FullName;
        await IdlePhase.RunAsync(new Uri(baseUrl.Replace("http://", "ws://", StringComparison.Ordinal) + "v1/stream"), Guid.NewGuid(), ["none"], idle, dataDir, publish: null);
        await app.StopAsync();
        Directory.Delete(dataDir, recursive: true);
        return 0;
    }
}

