using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TinySync.Core.Chunking;
using TinySync.Core.Contracts;
using TinySync.Core.Json;
using TinySync.Server.Hosting;
using TinySync.Server.Storage.Postgres;
using TinySync.Server.Storage.Sql;
using TinySync.Server.Storage.Sqlite;

// Scale-out macro benchmarks (issue 5), one run each, over real loopback HTTP against servers started in this
// process. PostgreSQL is a throwaway cluster started here with durability ON (fsync=on, synchronous_commit=on);
// SQLite runs with WAL and synchronous=FULL. Both use the local chunk store so the database is what differs.
//   1. vault sync on SQLite beside PostgreSQL: commits (batches of 1, 100, 1000) and log reads
//   2. committed ops/s with 1 node and with 2 nodes on the same PostgreSQL, 8 concurrent clients
//   3. commit-to-hint latency across nodes: commit through node 1, hint on a /v1/stream held by node 2
//   4. the store alone (IStore.CommitAsync, no HTTP): single-op commits on SQLite and PostgreSQL, two rounds in turn
//   5. where a single-op commit's time goes through HTTP: each request's statements traced (RequestTrace.cs)
// Arguments: [scale (1.0)] [parts ("123"; "1" runs part 1 only, "14" adds the store alone, "5" the traced requests)].

const string AdminToken = "tsadm_bench-admin-token-0123456789abcdef";
var scale = args.Length > 0 ? double.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 1.0;
// optional second argument: which parts to run, e.g. "1" for the SQLite / PostgreSQL commit and log figures only
var parts = args.Length > 1 ? args[1] : "123";
int N(int n) => Math.Max(1, (int)(n * scale));
var root = Path.Combine(Path.GetTempPath(), $"tinysync-bench-scaleout-{Guid.NewGuid():N}");
Directory.CreateDirectory(root);
var results = new List<string>();
void Report(string line)
{
    Console.WriteLine(line);
    results.Add(line);
}

var pg = await Cluster.StartAsync(root);
var apps = new List<WebApplication>();
try
{
    var small = "benchmark file content"u8.ToArray();
    var smallHash = ChunkHash.Compute(small);

    // ---- 1. the vault sync benchmarks on SQLite and on PostgreSQL, same run ----------------------------------------
    foreach (var (label, database) in parts.Contains('1', StringComparison.Ordinal) ? new[] { ("sqlite", (string?)null), ("postgres", pg.CreateDatabase("single")) } : [])
    {
        var (app, baseAddress) = await StartNodeAsync(Path.Combine(root, label), database);
        apps.Add(app);
        var (http, v) = await DeviceAsync(baseAddress, label);
        (await http.PutAsync($"{v}/chunks/{smallHash}", new ByteArrayContent(small))).EnsureSuccessStatusCode();
        var fileNo = 0;
        await CommitAsync(http, v, [Mkdir("warm")]);
        foreach (var b in new[] { 1, 1, 1, 1, 1, 100, 100, 1000 }) await CommitAsync(http, v, Puts("warm", b, ref fileNo, smallHash, small.Length));
        foreach (var (batch, total) in new[] { (1, N(500)), (100, N(10_000)), (1000, N(20_000)) })
        {
            var dir = $"b{batch}";
            await CommitAsync(http, v, [Mkdir(dir)]);
            var sw = Stopwatch.StartNew();
            for (var done = 0; done < total; done += batch) await CommitAsync(http, v, Puts(dir, batch, ref fileNo, smallHash, small.Length));
            Report($"[{label,-8}] commit, batches of {batch,4}: {total,6} ops in {sw.Elapsed.TotalSeconds,6:F2} s = {total / sw.Elapsed.TotalSeconds,7:F0} ops/s");
        }
        {
            var head = (await http.GetFromJsonAsync<LogPage>($"{v}/log?after=0&limit=1", TinySyncJson.Options))!.Head;
            long rows = 0;
            var sw = Stopwatch.StartNew();
            for (var pass = 0; pass < 2; pass++)
                for (long after = 0; after < head; after += 10_000)
                {
                    await http.GetByteArrayAsync($"{v}/log?after={after}&limit=10000");
                    rows += Math.Min(10_000, head - after);
                }
            Report($"[{label,-8}] log read, pages of 10,000 (raw): {rows} rows in {sw.Elapsed.TotalSeconds:F2} s = {rows / sw.Elapsed.TotalSeconds:F0} rows/s");
        }
        http.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
        apps.Remove(app);
    }

    // ---- 2. committed ops/s, 1 node vs 2 nodes on one PostgreSQL -----------------------------------------------------
    foreach (var nodes in parts.Contains('2', StringComparison.Ordinal) || parts.Contains('3', StringComparison.Ordinal) ? new[] { 1, 2 } : [])
    {
        var database = pg.CreateDatabase($"nodes{nodes}");
        var started = new List<Uri>();
        for (var i = 0; i < nodes; i++)
        {
            var (app, address) = await StartNodeAsync(Path.Combine(root, $"n{nodes}-{i}"), database);
            apps.Add(app);
            started.Add(address);
        }
        foreach (var (batch, perClient) in new[] { (1, N(100)), (100, N(2_000)) })
        {
            // 8 clients, each with its own vault (vaults are independent) and the same on one shared vault
            foreach (var shared in new[] { false, true })
            {
                var clients = new List<(HttpClient Http, string V)>();
                string? sharedVault = null;
                for (var c = 0; c < 8; c++)
                {
                    var node = started[c % nodes];
                    var (http, v) = shared && sharedVault is not null ? await PeerAsync(node, sharedVault) : await DeviceAsync(node, $"c{c}");
                    sharedVault ??= v;
                    (await http.PutAsync($"{v}/chunks/{smallHash}", new ByteArrayContent(small))).EnsureSuccessStatusCode();
                    await CommitAsync(http, v, [Mkdir($"c{c}-b{batch}")]);
                    clients.Add((http, v));
                }
                var sw = Stopwatch.StartNew();
                await Task.WhenAll(clients.Select((client, c) => Task.Run(async () =>
                {
                    var no = 0;
                    for (var done = 0; done < perClient; done += batch)
                        await CommitAsync(client.Http, client.V, Puts($"c{c}-b{batch}", batch, ref no, smallHash, small.Length));
                })));
                var total = perClient * clients.Count;
                Report($"[{nodes} node{(nodes == 1 ? " " : "s")}] 8 clients, {(shared ? "one shared vault " : "a vault each     ")}, batches of {batch,3}: {total,6} ops in {sw.Elapsed.TotalSeconds,6:F2} s = {total / sw.Elapsed.TotalSeconds,7:F0} ops/s");
                foreach (var c in clients) c.Http.Dispose();
            }
        }

        // ---- 3. commit-to-hint latency across nodes (only with 2 nodes) ----------------------------------------------
        if (nodes == 2)
        {
            var (writer, v) = await DeviceAsync(started[0], "writer");
            var vaultId = v.Split('/')[^1];
            var (readerHttp, _) = await PeerAsync(started[1], vaultId);
            var token = readerHttp.DefaultRequestHeaders.Authorization!.Parameter!;
            using var ws = new ClientWebSocket();
            ws.Options.SetRequestHeader("Authorization", "Bearer " + token);
            await ws.ConnectAsync(new Uri(started[1].ToString().Replace("http://", "ws://", StringComparison.Ordinal) + "v1/stream"), CancellationToken.None);
            await ws.SendAsync(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { subscribe = new[] { vaultId } })), WebSocketMessageType.Text, true, CancellationToken.None);
            await ReceiveAsync(ws);
            var sinceSend = new List<double>();
            for (var i = 0; i < N(300) + 20; i++)
            {
                var t0 = Stopwatch.GetTimestamp();
                var commit = CommitAsync(writer, v, [Mkdir($"lat-{i}")]);
                var hint = await ReceiveAsync(ws);
                var tHint = Stopwatch.GetTimestamp();
                await commit;
                if (!hint.Contains("\"head\"", StringComparison.Ordinal)) throw new InvalidOperationException("not a hint: " + hint);
                if (i < 20) continue; // warm-up
                sinceSend.Add(Stopwatch.GetElapsedTime(t0, tHint).TotalMilliseconds);
                await Task.Delay(5);
            }
            Report($"[2 nodes] commit on node 1 -> hint on node 2's stream, from sending the commit: p50 {P(sinceSend, 50):F1} ms, p99 {P(sinceSend, 99):F1} ms, max {sinceSend.Max():F1} ms ({sinceSend.Count} commits)");
            writer.Dispose();
            readerHttp.Dispose();
        }
        foreach (var app in apps)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
        apps.Clear();
    }

    // ---- 4. the store alone (no HTTP): single-op commits, SQLite beside PostgreSQL, twice in turn -----------------------
    foreach (var round in parts.Contains('4', StringComparison.Ordinal) ? new[] { 1, 2 } : [])
    {
        foreach (var (label, database) in new[] { ("sqlite", (string?)null), ("postgres", pg.CreateDatabase($"store{round}")) })
        {
            await using var store = new SqlStore(database is null
                ? new SqliteDialect(Path.Combine(root, $"store{round}.db"))
                : new PostgresDialect(PostgresSettings.Normalize(database)));
            await store.MigrateAsync(default);
            var (device, vault, now) = (Guid.CreateVersion7(), Guid.CreateVersion7(), DateTimeOffset.UtcNow);
            await store.RegisterDeviceAsync(device, "bench", new byte[32], now, default);
            await store.UpsertVaultAsync(vault, "bench", now, default);
            await store.AddDeviceToGroupAsync("bench", device, now, default);
            await store.AddVaultToGroupAsync("bench", vault, now, default);
            await store.CommitAsync(vault, device, [Mkdir("d")], now, default);
            for (var i = 0; i < 20; i++) await store.CommitAsync(vault, device, [Mkdir($"d/warm{i}")], now, default);
            var total = N(500);
            var sw = Stopwatch.StartNew();
            for (var i = 0; i < total; i++)
            {
                var outcome = await store.CommitAsync(vault, device, [Mkdir($"d/m{i}")], now, default);
                if (outcome?.Results[0].Status != OpStatus.Committed) throw new InvalidOperationException($"commit {i} was not committed");
            }
            Report($"[{label,-8}] store alone, single-op commits (round {round}): {total} ops in {sw.Elapsed.TotalSeconds,6:F2} s = {total / sw.Elapsed.TotalSeconds,7:F0} ops/s");
        }
    }

    // ---- 5. where a single-op commit's time goes through HTTP: traced requests, SQLite beside PostgreSQL ------------
    if (parts.Contains('5', StringComparison.Ordinal))
    {
        using var trace = new RequestTrace();
        foreach (var (label, database) in new[] { ("sqlite", (string?)null), ("postgres", pg.CreateDatabase("traced")) })
        {
            var (app, baseAddress) = await StartNodeAsync(Path.Combine(root, $"traced-{label}"), database);
            apps.Add(app);
            var (http, v) = await DeviceAsync(baseAddress, label);
            (await http.PutAsync($"{v}/chunks/{smallHash}", new ByteArrayContent(small))).EnsureSuccessStatusCode();
            var fileNo = 0;
            await CommitAsync(http, v, [Mkdir("t")]);
            for (var i = 0; i < 30; i++) await CommitAsync(http, v, Puts("t", 1, ref fileNo, smallHash, small.Length));
            trace.Clear();
            for (var i = 0; i < N(300); i++)
            {
                var t0 = Stopwatch.GetTimestamp();
                await CommitAsync(http, v, Puts("t", 1, ref fileNo, smallHash, small.Length));
                trace.Client(Stopwatch.GetElapsedTime(t0));
            }
            foreach (var line in trace.Report(label)) Report(line);
            http.Dispose();
            await app.StopAsync();
            await app.DisposeAsync();
            apps.Remove(app);
        }
    }
}
finally
{
    foreach (var app in apps) await app.DisposeAsync();
    await pg.StopAsync();
    try { Directory.Delete(root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
}

Console.WriteLine();
Console.WriteLine(string.Join(Environment.NewLine, results));
return 0;

static double P(List<double> xs, int p)
{
    var s = xs.Order().ToList();
    return s[Math.Min(s.Count - 1, (int)Math.Ceiling(p / 100.0 * s.Count) - 1)];
}

static async Task<(WebApplication App, Uri Address)> StartNodeAsync(string dataDir, string? database)
{
    var args = new List<string> { "--urls=http://127.0.0.1:0", $"--TINYSYNC_DATA_DIR={dataDir}", $"--TINYSYNC_ADMIN_TOKEN={AdminToken}" };
    if (database is not null) args.Add($"--TINYSYNC_DATABASE={database}");
    var app = await TinySyncServer.BuildAsync([.. args], b => b.Logging.SetMinimumLevel(LogLevel.Warning));
    await app.StartAsync();
    return (app, new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/"));
}

static HttpClient Client(Uri node, string token)
{
    var c = new HttpClient { BaseAddress = node, Timeout = TimeSpan.FromMinutes(5) };
    c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    return c;
}

static async Task<(HttpClient Http, string V)> DeviceAsync(Uri node, string name)
{
    using var admin = Client(node, AdminToken);
    var vault = (await (await admin.PostAsJsonAsync("v1/vaults", new VaultRequest(name), TinySyncJson.Options)).Content.ReadFromJsonAsync<VaultView>(TinySyncJson.Options))!;
    return await PeerAsync(node, vault.VaultId.ToString());
}

static async Task<(HttpClient Http, string V)> PeerAsync(Uri node, string vaultPath)
{
    var vaultId = vaultPath.Split('/')[^1];
    using var admin = Client(node, AdminToken);
    var device = (await (await admin.PostAsJsonAsync("v1/devices", new RegisterDeviceRequest("bench"), TinySyncJson.Options)).Content.ReadFromJsonAsync<DeviceRegistered>(TinySyncJson.Options))!;
    var group = "g-" + Guid.NewGuid().ToString("N");
    (await admin.PutAsync($"v1/groups/{group}/devices/{device.DeviceId}", null)).EnsureSuccessStatusCode();
    (await admin.PutAsync($"v1/groups/{group}/vaults/{vaultId}", null)).EnsureSuccessStatusCode();
    return (Client(node, device.Token), $"v1/vaults/{vaultId}");
}

static Op Mkdir(string path) => new() { OpId = OpIds.New(), Kind = OpKind.Mkdir, Path = path, Base = 0 };

static List<Op> Puts(string dir, int count, ref int no, string hash, int size)
{
    var ops = new List<Op>(count);
    for (var i = 0; i < count; i++)
        ops.Add(new Op { OpId = OpIds.New(), Kind = OpKind.Put, Path = $"{dir}/file-{no++:D7}.txt", Base = 0, Size = size, Chunks = [hash], Executable = false, Mtime = DateTimeOffset.UtcNow });
    return ops;
}

static async Task CommitAsync(HttpClient http, string v, IReadOnlyList<Op> ops)
{
    var r = await http.PostAsJsonAsync($"{v}/ops", new OpsRequest(ops), TinySyncJson.Options);
    r.EnsureSuccessStatusCode();
    var body = (await r.Content.ReadFromJsonAsync<OpsResponse>(TinySyncJson.Options))!;
    if (body.Results.Any(x => x.Status != OpStatus.Committed))
        throw new InvalidOperationException("an op did not commit: " + body.Results.First(x => x.Status != OpStatus.Committed).Code);
}

static async Task<string> ReceiveAsync(ClientWebSocket ws)
{
    var buffer = new byte[16 * 1024];
    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
    var n = 0;
    while (true)
    {
        var r = await ws.ReceiveAsync(buffer.AsMemory(n), timeout.Token);
        if (r.MessageType == WebSocketMessageType.Close) throw new InvalidOperationException("stream closed");
        n += r.Count;
        if (r.EndOfMessage) return Encoding.UTF8.GetString(buffer, 0, n);
    }
}

/// <summary>A throwaway PostgreSQL 15 cluster with durability on (the STACK.md recipe without fsync=off).</summary>
sealed class Cluster
{
    const string Bin = "/usr/lib/postgresql/15/bin";
    readonly string _dir;
    readonly int _port;

    Cluster(string dir, int port)
    {
        _dir = dir;
        _port = port;
    }

    public static async Task<Cluster> StartAsync(string root)
    {
        var dir = Path.Combine(root, "pg");
        var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        var port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        Run($"chmod o+x {root}; id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres; install -d -o postgres -g postgres -m 700 {dir} {dir}/data {dir}/run");
        Run($"runuser -u postgres -- {Bin}/initdb -D {dir}/data -U postgres --auth=trust -E UTF8 --no-locale >/dev/null");
        await File.AppendAllTextAsync($"{dir}/data/postgresql.conf",
            $"listen_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{dir}/run'\nfsync = on\nsynchronous_commit = on\nmax_connections = 200\n");
        Run($"runuser -u postgres -- {Bin}/pg_ctl -D {dir}/data -l {dir}/server.log -w -t 30 start >/dev/null");
        return new Cluster(dir, port);
    }

    public string CreateDatabase(string name)
    {
        Run($"{Bin}/psql -h 127.0.0.1 -p {_port} -U postgres -qc 'CREATE DATABASE {name}'");
        return $"Host=127.0.0.1;Port={_port};Username=postgres;Database={name}";
    }

    public Task StopAsync()
    {
        Run($"runuser -u postgres -- {Bin}/pg_ctl -D {_dir}/data -m fast -w stop >/dev/null");
        return Task.CompletedTask;
    }

    static void Run(string command)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(command);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"`{command}` failed: {err}");
    }
}
