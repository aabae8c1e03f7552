using TinySync.Client.Api;

namespace TinySync.EndToEnd.Tests;

public sealed class ServerKillTests
{
    [Fact]
    public async Task Killing_the_server_mid_upload_is_ridden_out_and_both_devices_converge()
    {
        await using var server = new ServerProcess();
        await server.StartAsync();
        var (vault, devices) = await server.SetUpAsync("devA", "devB");
        using var a = Device.For(server.Url, devices[0].Device, vault, "devA");
        using var b = Device.For(server.Url, devices[1].Device, vault, "devB");
        var data = new byte[48 * 1024 * 1024];
        new Random(3).NextBytes(data);
        await File.WriteAllBytesAsync(a.PathOf("big.bin"), data);
        for (var i = 0; i < 200; i++) a.Write($"small/{i}.txt", "small " + i);

        var sync = a.SyncAsync(new RetryPolicy(60, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(500)));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (a.Stats.ChunksUploaded < 3 && DateTime.UtcNow < deadline && !sync.IsCompleted) await Task.Delay(5);
        server.Kill(); // kill -9 while chunks are in flight
        // start again once the client has found the server gone and announced that it retries
        await a.WaitForRetriesAsync(1, sync, TimeSpan.FromSeconds(60));
        a.Retries.ShouldBeGreaterThan(0, "the kill landed after the sync had finished: nothing was ridden out");
        await server.StartAsync();
        var result = await sync;
        result.Converged.ShouldBeTrue(string.Join("; ", result.Pending));
        a.Stats.ChunksUploaded.ShouldBeLessThan(48 + 200 + 10); // every distinct chunk counted once: in-flight PUTs were retried, not restarted

        await b.SyncConvergedAsync();
        File.ReadAllBytes(b.PathOf("big.bin")).ShouldBe(data);
        b.Read("small/199.txt").ShouldBe("small 199");
    }
}
