using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using TinySync.Core.Chunking;
using TinySync.Core.Contracts;
using TinySync.Core.Json;
using TinySync.Server.Hosting;

// Macro benchmarks of the vault sync API (issue 3), one run each, over real loopback HTTP against a server started
// in this process (Release build, SQLite in a temp dir with synchronous=FULL, local chunk store with fsync).
// Peers from the same run and the same Kestrel: a plain static-file download (Results.File) and a plain upload
// endpoint that writes the body to a file with fsync, without hashing or a database.

// Optional first argument: the phases to run, comma-separated (commit, store, log, batch, barrier, chunks); all by default.
var only = args.Length > 0 && !args[0].StartsWith('-') ? args[0].Split(',') : null;
bool Run(string phase) => only is null || only.Contains(phase);

var dataDir = Path.Combine(Path.GetTempPath(), $"tinysync-bench-sync-{Guid.NewGuid():N}");
var staticDir = Path.Combine(dataDir, "static");
Directory.CreateDirectory(staticDir);
const string AdminToken = "tsadm_bench-admin-token-0123456789abcdef";
var app = await TinySyncServer.BuildAsync(["--urls=http://127.0.0.1:0", $"--TINYSYNC_DATA_DIR={Path.Combine(dataDir, "data")}", $"--TINYSYNC_ADMIN_TOKEN={AdminToken}"]);
app.MapGet("/static/{name}", (string name) => Results.File(Path.Combine(staticDir, Path.GetFileName(name)), "application/octet-stream"));
app.MapPut("/plain-upload/{name}", async (string name, HttpContext http) =>
{
    if (http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } f) f.MaxRequestBodySize = FastCdc.DefaultMaxSize;
    await using var file = new FileStream(Path.Combine(staticDir, "up-" + Path.GetFileName(name)), FileMode.Create, FileAccess.Write);
    await http.Request.Body.CopyToAsync(file);
    file.Flush(flushToDisk: true);
    return Results.StatusCode(201);
});
await app.StartAsync();
var baseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");
var results = new List<string>();
void Report(string line)
{
    Console.WriteLine(line);
    results.Add(line);
}

try
{
    using var admin = new HttpClient { BaseAddress = baseAddress };
    admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
    var device = (await (await admin.PostAsJsonAsync("v1/devices", new RegisterDeviceRequest("bench"), TinySyncJson.Options)).Content.ReadFromJsonAsync<DeviceRegistered>(TinySyncJson.Options))!;
    var vault = (await (await admin.PostAsJsonAsync("v1/vaults", new VaultRequest("bench"), TinySyncJson.Options)).Content.ReadFromJsonAsync<VaultView>(TinySyncJson.Options))!;
    (await admin.PutAsync($"v1/groups/bench/devices/{device.DeviceId}", null)).EnsureSuccessStatusCode();
    (await admin.PutAsync($"v1/groups/bench/vaults/{vault.VaultId}", null)).EnsureSuccessStatusCode();
    using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(5) };
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", device.Token);
    var v = $"v1/vaults/{vault.VaultId}";

    // A small chunk every put references (the rule check reads its registration and size).
    var small = "benchmark file content"u8.ToArray();
    var smallHash = ChunkHash.Compute(small);
    (await http.PutAsync($"{v}/chunks/{smallHash}", new ByteArrayContent(small))).EnsureSuccessStatusCode();
    await Commit(http, v, [new Op { OpId = OpIds.New(), Kind = OpKind.Mkdir, Path = "bench", Base = 0 }]);

    // ---- warm-up: let tiered JIT reach steady state before anything is timed ---------------------------------------
    var fileNo = 0;
    await Commit(http, v, [new Op { OpId = OpIds.New(), Kind = OpKind.Mkdir, Path = "warm", Base = 0 }]);
    foreach (var batch in new[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 100, 100, 1000, 1000, 1000, 1000, 1000 })
    {
        await Commit(http, v, [.. Enumerable.Range(0, batch).Select(_ => new Op
        {
            OpId = OpIds.New(), Kind = OpKind.Put, Path = $"warm/file-{fileNo++:D7}.txt", Base = 0, Size = small.Length,
            Chunks = [smallHash], Executable = false, Mtime = DateTimeOffset.UtcNow,
        })]);
        await http.GetByteArrayAsync($"{v}/log?after=0&limit=10000");
        await http.GetFromJsonAsync<LogPage>($"{v}/log?after=0&limit=10000", TinySyncJson.Options);
    }
    for (var i = 0; i < (Run("chunks") ? 8 : 0); i++)
    {
        var b = new byte[FastCdc.DefaultMaxSize];
        new Random(-1 - i).NextBytes(b);
        var h = ChunkHash.Compute(b);
        (await http.PutAsync($"{v}/chunks/{h}", new ByteArrayContent(b))).EnsureSuccessStatusCode();
        (await http.PutAsync($"plain-upload/{h}", new ByteArrayContent(b))).EnsureSuccessStatusCode();
        await File.WriteAllBytesAsync(Path.Combine(staticDir, h), b);
        await http.GetByteArrayAsync($"{v}/chunks/{h}");
        await http.GetByteArrayAsync($"static/{h}");
    }

    // ---- committed ops/s ------------------------------------------------------------------------------------
    // The op ids are the client's (OpIds.New, time-ordered); the last row is the same batches with random (v4) ids,
    // the ids other clients may send.
    if (Run("commit")) foreach (var (batch, total, random) in new[] { (1, 2_000, false), (100, 20_000, false), (1000, 50_000, false), (1000, 50_000, true) })
    {
        var dir = random ? $"r{batch}" : $"b{batch}";
        await Commit(http, v, [new Op { OpId = OpIds.New(), Kind = OpKind.Mkdir, Path = dir, Base = 0 }]);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        for (var done = 0; done < total; done += batch)
        {
            var ops = Enumerable.Range(0, batch).Select(_ => new Op
            {
                OpId = random ? Guid.NewGuid() : OpIds.New(), Kind = OpKind.Put, Path = $"{dir}/file-{fileNo++:D7}.txt", Base = 0, Size = small.Length,
                Chunks = [smallHash], Executable = false, Mtime = DateTimeOffset.UtcNow,
            }).ToList();
            await Commit(http, v, ops);
        }
        sw.Stop();
        var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        Report($"commit, batches of {batch,4}{(random ? ", random op ids" : "")}: {total,6} ops in {sw.Elapsed.TotalSeconds,6:F2} s = {total / sw.Elapsed.TotalSeconds,8:F0} ops/s (wall) | {total / cpuSeconds,8:F0} ops per CPU-second (client + server)");
    }

    // The same rules without HTTP and JSON: IStore.CommitAsync directly, batches of 1000.
    if (Run("store"))
    {
        var store = app.Services.GetRequiredService<TinySync.Server.Storage.IStore>();
        await Commit(http, v, [new Op { OpId = OpIds.New(), Kind = OpKind.Mkdir, Path = "direct", Base = 0 }]);
        const int Total = 50_000;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        for (var done = 0; done < Total; done += 1000)
        {
            var ops = Enumerable.Range(0, 1000).Select(_ => new Op
            {
                OpId = OpIds.New(), Kind = OpKind.Put, Path = $"direct/file-{fileNo++:D7}.txt", Base = 0, Size = small.Length,
                Chunks = [smallHash], Executable = false, Mtime = DateTimeOffset.UtcNow,
            }).ToList();
            var outcome = await store.CommitAsync(vault.VaultId, device.DeviceId, ops, DateTimeOffset.UtcNow, CancellationToken.None);
            if (outcome!.Results.Any(r => r.Status != OpStatus.Committed)) throw new InvalidOperationException("direct commit failed");
        }
        sw.Stop();
        var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        Report($"store only (no HTTP/JSON), batches of 1000: {Total} ops in {sw.Elapsed.TotalSeconds:F2} s = {Total / sw.Elapsed.TotalSeconds:F0} ops/s (wall) | {Total / cpuSeconds:F0} ops per CPU-second");
    }

    // ---- log rows read/s --------------------------------------------------------------------------------------
    if (Run("log"))
    {
        long rows = 0;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        for (var pass = 0; pass < 3; pass++)
        {
            long after = 0;
            while (true)
            {
                var page = (await http.GetFromJsonAsync<LogPage>($"{v}/log?after={after}&limit=10000", TinySyncJson.Options))!;
                rows += page.Entries.Count;
                if (page.Entries.Count == 0 || !page.HasMore) break;
                after = page.Entries[^1].Seq;
            }
        }
        sw.Stop();
        Report($"log read (pages of 10,000, parsed by the client): {rows} rows in {sw.Elapsed.TotalSeconds:F2} s = {rows / sw.Elapsed.TotalSeconds:F0} rows/s (wall) | {rows / (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:F0} rows per CPU-second");

        // The same pages as raw bytes: what the server sustains when the client does not parse.
        var head = (await http.GetFromJsonAsync<LogPage>($"{v}/log?after=0&limit=1", TinySyncJson.Options))!.Head;
        rows = 0;
        long bytes = 0;
        cpu = Process.GetCurrentProcess().TotalProcessorTime;
        sw.Restart();
        for (var pass = 0; pass < 3; pass++)
        {
            for (long after = 0; after < head; after += 10_000)
            {
                var raw = await http.GetByteArrayAsync($"{v}/log?after={after}&limit=10000");
                bytes += raw.Length;
                rows += Math.Min(10_000, head - after);
            }
        }
        sw.Stop();
        Report($"log read (pages of 10,000, raw JSON, not parsed):  {rows} rows in {sw.Elapsed.TotalSeconds:F2} s = {rows / sw.Elapsed.TotalSeconds:F0} rows/s (wall) | {rows / (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:F0} rows per CPU-second ({bytes / rows} bytes/row)");
    }

    // ---- small chunks in batches (issue 17): POST /chunks/batch beside durable-file peers ---------------------------
    // The shape of an initial upload of many small files: chunks of 1-8 KiB, 256 per batch, 4 batches in flight (the
    // client's LinkSync). Peers of the same run, same bytes, same concurrency: every chunk its own file with an fsync
    // each (what `rsync --fsync` does), and one pack file per batch (write, fsync, rename, directory fsync). Server and
    // peers alternate round by round (4 batches each).
    if (Run("batch"))
    {
        const int Count = 5_000, PerBatch = 256, InFlight = 4;
        var rnd = new Random(17);
        var smallChunks = Enumerable.Range(0, Count).Select(_ =>
        {
            var b = new byte[rnd.Next(1024, 8 * 1024)];
            rnd.NextBytes(b);
            return (Hash: ChunkHash.Compute(b), Bytes: b);
        }).ToList();
        var batches = smallChunks.Chunk(PerBatch).ToList();
        var peerFiles = Path.Combine(dataDir, "peer-files");
        var peerPacks = Path.Combine(dataDir, "peer-packs");
        Directory.CreateDirectory(peerPacks);
        double server = 0, files = 0, packs = 0;
        var sw = new Stopwatch();
        for (var at = 0; at < batches.Count; at += InFlight)
        {
            var round = batches.Skip(at).Take(InFlight).ToList();
            sw.Restart();
            await Task.WhenAll(round.Select(async batch =>
            {
                var body = new byte[batch.Sum(c => ChunkFrames.FrameLength(c.Bytes.Length))];
                var pos = 0;
                foreach (var (hash, bytes) in batch) pos += ChunkFrames.Write(body.AsSpan(pos), hash, bytes);
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = new MediaTypeHeaderValue(ChunkFrames.MediaType);
                (await http.PostAsync($"{v}/chunks/batch", content)).EnsureSuccessStatusCode();
            }));
            server += sw.Elapsed.TotalSeconds;

            sw.Restart();
            await Task.WhenAll(round.Select(batch => Task.Run(() =>
            {
                foreach (var (hash, bytes) in batch)
                {
                    var dir = Path.Combine(peerFiles, hash[..2]);
                    Directory.CreateDirectory(dir);
                    using var f = new FileStream(Path.Combine(dir, hash), FileMode.Create, FileAccess.Write, FileShare.None, 0);
                    f.Write(bytes);
                    f.Flush(flushToDisk: true);
                }
            })));
            files += sw.Elapsed.TotalSeconds;

            sw.Restart();
            await Task.WhenAll(round.Select((batch, i) => Task.Run(() =>
            {
                var pack = Path.Combine(peerPacks, $"pack-{at + i}");
                using (var f = new FileStream(pack + ".tmp", FileMode.CreateNew, FileAccess.Write, FileShare.None, 0))
                {
                    foreach (var (_, bytes) in batch) f.Write(bytes);
                    f.Flush(flushToDisk: true);
                }
                File.Move(pack + ".tmp", pack);
            })));
            FlushDirectory(peerPacks);
            packs += sw.Elapsed.TotalSeconds;
        }
        var batchMb = smallChunks.Sum(c => (double)c.Bytes.Length) / (1024 * 1024);
        Report($"small-chunk batches (POST /chunks/batch, {PerBatch} per batch, {InFlight} in flight): {Count / server,7:F0} chunks/s ({batchMb / server:F1} MB/s) | peers: a file each + fsync {Count / files,7:F0} chunks/s; a pack file per batch + fsync {Count / packs,7:F0} chunks/s | ratio to file-each {server / files:F2}x, to packs {server / packs:F2}x");
    }

    // Store-level barrier comparison (decision 0015); a partial method, so this program also builds against a tree
    // without the durability seam (bench/scripts/batch-before-after.sh).
    if (Run("barrier")) RunBarrierPhase(Report, dataDir);

    // ---- chunk upload/download MB/s beside plain Kestrel peers -------------------------------------------------
    if (Run("chunks"))
    {
        const int Count = 48;
        var size = FastCdc.DefaultMaxSize;
        var chunks = Enumerable.Range(0, Count).Select(i =>
        {
            var b = new byte[size];
            new Random(i).NextBytes(b);
            return (Hash: ChunkHash.Compute(b), Bytes: b);
        }).ToList();
        var mb = Count * (double)size / (1024 * 1024);

        // Server and peer alternate chunk by chunk, so load from other processes hits both alike.
        foreach (var (hash, bytes) in chunks) await File.WriteAllBytesAsync(Path.Combine(staticDir, hash), bytes);
        double upload = 0, plainUpload = 0, download = 0, plainDownload = 0;
        long check = 0;
        var sw = new Stopwatch();
        foreach (var (hash, bytes) in chunks)
        {
            using var content = new ByteArrayContent(bytes);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            sw.Restart();
            (await http.PutAsync($"{v}/chunks/{hash}", content)).EnsureSuccessStatusCode();
            upload += sw.Elapsed.TotalSeconds;

            using var plain = new ByteArrayContent(bytes);
            sw.Restart();
            (await http.PutAsync($"plain-upload/{hash}", plain)).EnsureSuccessStatusCode();
            plainUpload += sw.Elapsed.TotalSeconds;
        }
        foreach (var (hash, _) in chunks)
        {
            sw.Restart();
            var got = await http.GetByteArrayAsync($"{v}/chunks/{hash}");
            if (!ChunkHash.Matches(got, hash)) throw new InvalidOperationException("download corrupted");
            download += sw.Elapsed.TotalSeconds;
            check += got.Length;

            sw.Restart();
            got = await http.GetByteArrayAsync($"static/{hash}");
            if (!ChunkHash.Matches(got, hash)) throw new InvalidOperationException("static download corrupted");
            plainDownload += sw.Elapsed.TotalSeconds;
            check += got.Length;
        }

        Report($"chunk upload   (PUT, server verifies SHA-256, fsync, registers): {mb / upload,7:F1} MB/s | peer: plain PUT to file + fsync: {mb / plainUpload,7:F1} MB/s | ratio {upload / plainUpload:F2}x");
        Report($"chunk download (GET, server verifies SHA-256; client verifies):  {mb / download,7:F1} MB/s | peer: static file (Results.File), client verifies: {mb / plainDownload,7:F1} MB/s | ratio {download / plainDownload:F2}x");
        Report($"({Count} chunks of {size / (1024 * 1024)} MiB each, sequential, one connection, server and peer alternating per chunk; {check} bytes checked)");
    }
}
finally
{
    await app.StopAsync();
    await app.DisposeAsync();
    try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { }
}

Console.WriteLine();
Console.WriteLine(string.Join(Environment.NewLine, results));
return 0;

static async Task Commit(HttpClient http, string v, IReadOnlyList<Op> ops)
{
    var r = await http.PostAsJsonAsync($"{v}/ops", new OpsRequest(ops), TinySyncJson.Options);
    r.EnsureSuccessStatusCode();
    var body = (await r.Content.ReadFromJsonAsync<OpsResponse>(TinySyncJson.Options))!;
    if (body.Results.Any(x => x.Status != OpStatus.Committed))
        throw new InvalidOperationException("an op did not commit: " + body.Results.First(x => x.Status != OpStatus.Committed).Code);
    _ = CultureInfo.InvariantCulture;
}

partial class Program
{
    static partial void RunBarrierPhase(Action<string> report, string dataDir);

    // Flushes a directory's entries (open(O_DIRECTORY) + fsync; the pack peer's renames are durable only then).
    static void FlushDirectory(string dir)
    {
        if (!OperatingSystem.IsLinux()) return;
        var fd = Open(System.Text.Encoding.UTF8.GetBytes(dir + "\0"), 0x10000);
        if (fd < 0) throw new IOException($"cannot open {dir}");
        try
        {
            if (Fsync(fd) != 0) throw new IOException($"cannot flush {dir}");
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "open")]
    static extern int Open(byte[] path, int flags);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "fsync")]
    static extern int Fsync(int fd);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "close")]
    static extern int Close(int fd);
}
