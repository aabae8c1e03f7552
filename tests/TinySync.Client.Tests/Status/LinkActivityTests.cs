using Shouldly;
using TinySync.Client.Engine;
using TinySync.Client.State;
using TinySync.Client.Status;

namespace TinySync.Client.Tests.Status;

public sealed class LinkActivityTests
{
    [Fact]
    public void In_flight_counts_the_rounds_plan_and_what_is_done_and_clears_when_the_cycle_completes()
    {
        var activity = new LinkActivity(NullObserver.Instance);
        activity.InFlight.ShouldBeNull();
        activity.Begin();
        activity.Planned(new PlanTotals(UploadFiles: 2, UploadBytes: 300, DownloadFiles: 1, DownloadBytes: 50, Other: 0));
        activity.Progress("upload", 100, 300);
        activity.Done(new SyncEvent(SyncEventKind.Uploaded, "a.txt", 100));
        activity.Progress("download", 50, 50);
        activity.Done(new SyncEvent(SyncEventKind.Downloaded, "b.txt", 50));

        activity.InFlight.ShouldBe(new InFlight(1, 2, 100, 300, 1, 1, 50, 50));

        // the next round's plan starts its counts afresh; the cycle's summary keeps both rounds
        activity.Planned(new PlanTotals(1, 200, 0, 0, 1));
        activity.Done(new SyncEvent(SyncEventKind.Uploaded, "c.txt", 200));
        activity.Done(new SyncEvent(SyncEventKind.DeletedOnServer, "old.txt", 0));
        activity.InFlight.ShouldBe(new InFlight(1, 1, 0, 200, 0, 0, 0, 0));

        var record = activity.Complete(new LinkResult(Converged: true, Rounds: 2, Pending: []));
        activity.InFlight.ShouldBeNull();
        record.Converged.ShouldBeTrue();
        record.Moved.ShouldBe(new SyncCounts(FilesUp: 2, BytesUp: 300, FilesDown: 1, BytesDown: 50, Deleted: 1, Moved: 0, Conflicts: 0));
        record.Pending.ShouldBeEmpty();
    }

    [Fact]
    public void Pending_gives_the_engines_reasons_the_unsyncable_names_once_each_and_an_error_to_retry_after()
    {
        var activity = new LinkActivity(NullObserver.Instance);
        activity.Begin();
        activity.Unsyncable("/f/CON.txt", "the name 'CON.txt' is the Windows device name CON");
        activity.Unsyncable("/f/CON.txt", "the name 'CON.txt' is the Windows device name CON"); // every round's scan says it again
        var record = activity.Complete(new LinkResult(false, 3, ["x.bin: download failed (disk full)"]));
        record.Pending.ShouldBe(["x.bin: download failed (disk full)", "/f/CON.txt: not synced, the name 'CON.txt' is the Windows device name CON; rename it to sync it"]);

        activity.Begin();
        activity.Failed("the server is unreachable").Pending.ShouldBe(["retry after an error: the server is unreachable"]);
    }

    [Fact]
    public void The_last_change_survives_idle_cycles_and_the_pause_marker_survives_reopening_the_state()
    {
        var root = Path.Combine(Path.GetTempPath(), "tinysync-activity-" + Guid.NewGuid().ToString("N"));
        try
        {
            var state = new StateDirectory(root);
            var link = state.AddLink(Guid.NewGuid(), "v", "default", Path.Combine(root + "-folder"));
            Directory.CreateDirectory(state.LinkStateDirectory(link));
            var moved = new SyncCounts(1, 9, 0, 0, 0, 0, 0);
            var at = DateTimeOffset.UtcNow;
            state.SaveLastSync(link, new LastSync(at, true, moved, []));
            state.SaveLastSync(link, new LastSync(at.AddSeconds(1), true, SyncCounts.None, []));

            var last = new StateDirectory(root).LoadLastSync(link)!;
            last.Moved.ShouldBe(SyncCounts.None);
            last.LastChange.ShouldBe(new LastChange(at, moved));

            state.Pause(link).ShouldBeTrue();
            state.Pause(link).ShouldBeFalse();
            new StateDirectory(root).IsPaused(link).ShouldBeTrue();
            state.Resume(link).ShouldBeTrue();
            new StateDirectory(root).IsPaused(link).ShouldBeFalse();
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
