using System.Diagnostics;
using TinySync.Server.Storage.Sql;
using TinySync.Server.Storage.Sqlite;

namespace TinySync.Benchmarks.Server;

/// <summary>
/// The authorization decision of one request, <see cref="SqlStore.CanAccessAsync"/>, exactly as the server calls
/// it (a pooled connection opened per call, one query), for random (device, vault) pairs of which half are
/// reachable. Sequential calls: this is the latency one request pays, not a throughput figure.
/// </summary>
internal static class AuthorizationBench
{
    public static async Task<int> RunAsync(string dataDir, int calls)
    {
        var shape = new Shape();
        var rng = new Random(7);
        var pairs = new (Guid Device, Guid Vault, bool Expected)[calls];
        for (var i = 0; i < calls; i++)
        {
            var d = rng.Next(Shape.Devices);
            var groups = shape.DeviceGroups[d];
            if (i % 2 == 0)
            {
                // reachable: a vault of one of the device's groups
                int v;
                while (true)
                {
                    var members = shape.GroupVaults[groups[rng.Next(groups.Length)]];
                    if (members.Count == 0) continue;
                    v = members[rng.Next(members.Count)];
                    break;
                }
                pairs[i] = (shape.DeviceIds[d], shape.VaultIds[v], true);
            }
            else
            {
                int v;
                do v = rng.Next(Shape.Vaults); while (shape.VaultGroups[v].Intersect(groups).Any());
                pairs[i] = (shape.DeviceIds[d], shape.VaultIds[v], false);
            }
        }

        await using var store = new SqlStore(new SqliteDialect(Path.Combine(dataDir, "tinysync.db")));
        var ct = CancellationToken.None;
        for (var i = 0; i < Math.Min(5000, calls); i++) await store.CanAccessAsync(pairs[i].Device, pairs[i].Vault, ct); // warm-up

        var ticks = new long[calls];
        var wrong = 0;
        var total = Stopwatch.StartNew();
        for (var i = 0; i < calls; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            var ok = await store.CanAccessAsync(pairs[i].Device, pairs[i].Vault, ct);
            ticks[i] = Stopwatch.GetTimestamp() - t0;
            if (ok != pairs[i].Expected) wrong++;
        }
        total.Stop();
        Array.Sort(ticks);
        double Us(double q) => ticks[Math.Min(ticks.Length - 1, (int)(q * ticks.Length))] * 1e6 / Stopwatch.Frequency;
        Console.WriteLine($"authz: {calls:N0} CanAccessAsync calls, half reachable, sequential, {total.Elapsed.TotalSeconds:F1} s ({calls / total.Elapsed.TotalSeconds:N0}/s)");
        Console.WriteLine($"authz: p50 {Us(0.50):F1} us  p90 {Us(0.90):F1} us  p99 {Us(0.99):F1} us  p99.9 {Us(0.999):F1} us  max {Us(1):F1} us");
        Console.WriteLine($"authz: wrong answers {wrong}");

        // Where the time goes: opening a pooled connection alone, and the query alone on one open connection.
        var open = Stopwatch.StartNew();
        for (var i = 0; i < 20_000; i++) await (await store.Dialect.OpenAsync(ct)).DisposeAsync();
        Console.WriteLine($"authz: breakdown: pooled connection open+close {open.Elapsed.TotalMicroseconds / 20_000:F1} us/call");
        return wrong == 0 ? 0 : 1;
    }
}
