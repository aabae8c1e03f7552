using System.Diagnostics;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using TinySync.Server.Hosting;

namespace TinySync.Benchmarks.Server;

/// <summary>
/// Memory at rest: the server hosted in this (otherwise idle) process on the seeded database, after it has served
/// a few requests of each kind, then a full blocking GC.
/// </summary>
internal static class MemoryBench
{
    public static async Task<int> RunAsync(string dataDir)
    {
        var app = await TinySyncServer.BuildAsync(["--urls=http://127.0.0.1:0", $"--TINYSYNC_DATA_DIR={dataDir}", "--TINYSYNC_ADMIN_TOKEN=bench-admin-token-0123456789abcdef", "--Logging:LogLevel:Default=Warning"]);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var shape = new Shape();
        using (var http = new HttpClient { BaseAddress = new Uri(address + "/") })
        {
            for (var i = 0; i < 200; i++)
            {
                using var small = new HttpRequestMessage(HttpMethod.Get, "v1/me");
                small.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Shape.Token(Shape.SmallDevice, -1));
                (await http.SendAsync(small)).EnsureSuccessStatusCode();
                using var big = new HttpRequestMessage(HttpMethod.Get, "v1/me");
                big.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Shape.Token(shape.DeviceIds[i], i));
                (await http.SendAsync(big)).EnsureSuccessStatusCode();
            }
            using var list = new HttpRequestMessage(HttpMethod.Get, "v1/devices?limit=1000");
            list.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "bench-admin-token-0123456789abcdef");
            (await http.SendAsync(list)).EnsureSuccessStatusCode();
        }
        shape = null;
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        await Task.Delay(500);
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        var info = GC.GetGCMemoryInfo();
        Console.WriteLine($"memory: in-process server at rest: working set {self.WorkingSet64 / 1048576.0:F1} MiB, managed heap after GC {GC.GetTotalMemory(false) / 1048576.0:F1} MiB (GC heap size {info.HeapSizeBytes / 1048576.0:F1} MiB), private {self.PrivateMemorySize64 / 1048576.0:F1} MiB");
        await app.StopAsync();
        await app.DisposeAsync();
        return 0;
    }
}
