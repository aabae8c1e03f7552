using System.Diagnostics;
using System.Net.Http.Json;
using TinySync.Core.Contracts;
using TinySync.Core.Json;

namespace TinySync.Benchmarks.Server;

/// <summary>Registrations per second through the real <c>POST /v1/devices</c> endpoint, C concurrent clients.</summary>
internal static class RegistrationBench
{
    public static async Task<int> RunAsync(Uri server, int concurrency, double seconds)
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
        using var http = new HttpClient(handler) { BaseAddress = server };
        var body = new RegisterDeviceRequest("bench device");
        // warm-up
        for (var i = 0; i < 20; i++) (await http.PostAsJsonAsync("v1/devices", body, TinySyncJson.Options)).EnsureSuccessStatusCode();

        var latencies = new List<long>[concurrency];
        var errors = 0;
        var until = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async w =>
        {
            var mine = latencies[w] = [];
            while (Stopwatch.GetTimestamp() < until)
            {
                var t0 = Stopwatch.GetTimestamp();
                using var r = await http.PostAsJsonAsync("v1/devices", body, TinySyncJson.Options);
                if ((int)r.StatusCode == 201) mine.Add(Stopwatch.GetTimestamp() - t0);
                else Interlocked.Increment(ref errors);
            }
        }));
        sw.Stop();
        var all = latencies.SelectMany(l => l).Order().ToArray();
        double Ms(double q) => all.Length == 0 ? 0 : all[Math.Min(all.Length - 1, (int)(q * all.Length))] * 1e3 / Stopwatch.Frequency;
        Console.WriteLine($"register: {all.Length:N0} registrations in {sw.Elapsed.TotalSeconds:F1} s with {concurrency} concurrent clients = {all.Length / sw.Elapsed.TotalSeconds:N0}/s, errors {errors}");
        Console.WriteLine($"register: latency p50 {Ms(0.5):F2} ms  p99 {Ms(0.99):F2} ms");
        return errors == 0 ? 0 : 1;
    }
}
