using Shouldly;
using TinySync.Client.Index;
using TinySync.Client.State;

namespace TinySync.Client.Tests.Status;

/// <summary>
/// <c>status</c> reads a link's index beside a running daemon. An index the daemon is still creating (the file exists,
/// its tables not yet) once looked corrupt to <c>status</c>, which moved it aside under the daemon: the daemon went on
/// writing to the moved file and <c>status</c> showed no last sync from then on.
/// </summary>
public sealed class StatusBesideTheEngineTests
{
    [Fact]
    public void Status_leaves_an_index_its_engine_is_still_creating_where_it_is_and_reads_the_engines_index_while_it_is_open()
    {
        var root = Path.Combine(Path.GetTempPath(), "tinysync-status-" + Guid.NewGuid().ToString("N"));
        try
        {
            var state = new StateDirectory(root);
            var link = state.AddLink(Guid.NewGuid(), "v", "default", root + "-folder");
            var dir = state.LinkStateDirectory(link);
            Directory.CreateDirectory(dir);
            File.WriteAllBytes(Path.Combine(dir, "index.db"), []); // created, no table yet: what a concurrent reader can meet

            var early = new TinySyncClient(state).Status().Single();
            early.LastSync.ShouldBeNull();
            Directory.GetFiles(dir).Select(Path.GetFileName).ShouldBe(["index.db"], ignoreOrder: true);

            File.Delete(Path.Combine(dir, "index.db"));
            using var engineIndex = LinkIndex.Open(dir); // the engine's index, open while status reads it
            engineIndex.SetMeta("last_sync", "2026-12-03T19:46:45.0000000+00:00");
            new TinySyncClient(state).Status().Single().LastSync.ShouldBe(DateTimeOffset.Parse("2026-12-03T19:46:45Z", System.Globalization.CultureInfo.InvariantCulture));
            Directory.GetFiles(dir).ShouldAllBe(f => !f.Contains(".corrupt-", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
