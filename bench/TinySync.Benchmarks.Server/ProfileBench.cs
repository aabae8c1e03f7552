using System.Buffers;
using System.Diagnostics;
using System.Text.Encodings.Web;
using System.Text.Json;
using TinySync.Core.Identity;
using TinySync.Server.Hosting;
using TinySync.Server.Http;
using TinySync.Server.Storage.Sql;
using TinySync.Server.Storage.Sqlite;

namespace TinySync.Benchmarks.Server;

/// <summary>
/// Where a <c>GET /v1/me</c> spends its time, step by step, single-threaded on the seeded database: token parsing and
/// hashing, the credential lookup, the /me statement (small device and a device reaching ~250 vaults), the /me body.
/// </summary>
internal static class ProfileBench
{
    public static async Task<int> RunAsync(string dataDir, int n)
    {
        await using var store = new SqlStore(new SqliteDialect(Path.Combine(dataDir, "tinysync.db")));
        var ct = CancellationToken.None;
        var shape = new Shape();
        var token = Shape.Token(Shape.SmallDevice, -1);
        var big = shape.DeviceIds[0];

        async Task Time(string what, Func<Task> step)
        {
            for (var i = 0; i < Math.Max(2000, n); i++) await step(); // warm-up: long enough for tiered JIT to reach tier 1
            // CPU time as well as wall time: on a shared, loaded machine wall time mostly measures the queue for a core
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            for (var i = 0; i < n; i++) await step();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu0;
            Console.WriteLine($"profile: {what,-52} {sw.Elapsed.TotalMicroseconds / n,8:F1} us wall  {cpu.TotalMicroseconds / n,8:F1} us CPU per call");
        }

        var stored = DeviceToken.HashSecret(Shape.Secret(-1));
        var presented = new byte[32];
        await Time("token parse + hash + constant-time check (server path)", () =>
        {
            DeviceToken.TryParseToHash(token, out _, presented, out _);
            DeviceToken.HashMatches(presented, stored);
            return Task.CompletedTask;
        });
        await Time("pooled connection open + close", async () => await (await store.Dialect.OpenAsync(ct)).DisposeAsync());
        await Time("FindCredentialAsync (authentication)", () => store.FindCredentialAsync(Shape.SmallDevice, ct));
        await Time("CanAccessAsync (authorization)", () => store.CanAccessAsync(Shape.SmallDevice, Shape.SmallVaults[0], ct));
        await Time("GetMeAsync, small device (2 groups, 3 vaults)", () => store.GetMeAsync(Shape.SmallDevice, ct));
        await Time("GetMeAsync, device reaching ~250 vaults", () => store.GetMeAsync(big, ct));
        await Time("GetMeAsync, small device, again (interleaved)", () => store.GetMeAsync(Shape.SmallDevice, ct));

        // The /me body: the framework's reflection-based serializer (what TypedResults.Ok streams) against the
        // source-generated one into one buffer that JsonWire writes with its Content-Length.
        var me = (await store.GetMeAsync(Shape.SmallDevice, ct))!;
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        TinySyncServer.CopyWireOptions(options);
        await Time("/me body, reflection-based serializer (745 bytes)", () =>
        {
            var buffer = new ArrayBufferWriter<byte>(2048);
            using (var w = new Utf8JsonWriter(buffer)) JsonSerializer.Serialize(w, me, options);
            return Task.CompletedTask;
        });
        await Time("/me body, source-generated into one buffer (JsonWire)", () =>
        {
            var buffer = new ArrayBufferWriter<byte>(2048);
            using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true }))
                JsonSerializer.Serialize(w, me, WireJson.Default.MeView);
            return Task.CompletedTask;
        });
        return 0;
    }
}
