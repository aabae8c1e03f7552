using System.Diagnostics;
using TinySync.Core.Identity;
using TinySync.Server.Storage.Sql;
using TinySync.Server.Storage.Sqlite;

namespace TinySync.Benchmarks.Server;

/// <summary>
/// Where a <c>GET /v1/me</c> spends its time, step by step, single-threaded on the seeded database: token parsing and
/// hashing, the credential lookup, the /me queries (small device and a device reaching ~250 vaults).
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
            for (var i = 0; i < Math.Max(100, n / 10); i++) await step(); // warm-up
            // CPU time as well as wall time: on a shared, loaded machine wall time mostly measures the queue for a core
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            for (var i = 0; i < n; i++) await step();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu0;
            Console.WriteLine($"profile: {what,-52} {sw.Elapsed.TotalMicroseconds / n,8:F1} us wall  {cpu.TotalMicroseconds / n,8:F1} us CPU per call");
        }

        await Time("DeviceToken.TryParse + constant-time hash check", () =>
        {
            DeviceToken.TryParse(token, out var t, out _);
            t!.Matches(DeviceToken.HashSecret(Shape.Secret(-1)));
            return Task.CompletedTask;
        });
        await Time("pooled connection open + close", async () => await (await store.Dialect.OpenAsync(ct)).DisposeAsync());
        await Time("FindCredentialAsync (authentication)", () => store.FindCredentialAsync(Shape.SmallDevice, ct));
        await Time("CanAccessAsync (authorization)", () => store.CanAccessAsync(Shape.SmallDevice, Shape.SmallVaults[0], ct));
        await Time("GetMeAsync, small device (2 groups, 3 vaults)", () => store.GetMeAsync(Shape.SmallDevice, ct));
        await Time("GetMeAsync, device reaching ~250 vaults", () => store.GetMeAsync(big, ct));
        return 0;
    }
}
