using TinySync.Core.Contracts;
using TinySync.Server.Tests.Support;

namespace TinySync.Server.Tests.Sync;

public class CollectorTests
{
    [Fact]
    public async Task The_background_collector_removes_unreferenced_chunks_once_the_retention_window_has_passed()
    {
        // Retention 0: an old version stops being restorable at once; the collector runs every 0.3 s.
        await using var server = await TestServer.StartAsync(s =>
        {
            s["TINYSYNC_HISTORY_RETENTION_DAYS"] = "0";
            s["TINYSYNC_GC_INTERVAL_MINUTES"] = "0.005";
        });
        using var a = await SyncClient.CreateAsync(server);
        var v1 = await a.PutFileAsync("f", "first"u8.ToArray());
        var v2 = await a.PutFileAsync("f", "second"u8.ToArray(), v1);
        var orphan = await a.UploadAsync("never committed"u8.ToArray());
        var first = Core.Chunking.ChunkHash.Compute("first"u8);
        var live = Core.Chunking.ChunkHash.Compute("second"u8);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        List<string> missing;
        do
        {
            await Task.Delay(200);
            missing = await a.MissingAsync(first, live, orphan);
        } while (missing.Count < 2 && DateTime.UtcNow < deadline);
        missing.ShouldBe([first, orphan]);

        var history = await a.HistoryAsync("f");
        history.Versions.Select(v => v.Seq).ShouldBe([v2], "with no retention only the live version is listed");
        history.Versions[0].Kind.ShouldBe(OpKind.Put);
    }
}
