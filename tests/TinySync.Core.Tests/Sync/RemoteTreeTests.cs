using FsCheck;
using FsCheck.Fluent;
using TinySync.Core.Contracts;
using TinySync.Core.Sync;

namespace TinySync.Core.Tests.Sync;

public class RemoteTreeTests
{
    static readonly Guid Device = Guid.NewGuid();

    static LogEntry Row(long seq, OpKind kind, string path, string? newPath = null, string container = "default") => new()
    {
        Seq = seq, OpId = Guid.NewGuid(), DeviceId = Device, Kind = kind, Container = container, Path = path, NewPath = newPath,
        Size = kind == OpKind.Put ? 0 : null, Chunks = kind == OpKind.Put ? [] : null, CommittedAt = DateTimeOffset.UnixEpoch,
    };

    static Item Dir(string path, long version) => new() { Path = path, Kind = ItemKind.Dir, Version = version };

    static Item File(string path, long version) => new() { Path = path, Kind = ItemKind.File, Version = version, Size = 0, Chunks = [] };

    [Fact]
    public void Full_replay_builds_the_live_tree_and_replaying_it_again_ends_in_the_same_state()
    {
        var log = new[]
        {
            Row(1, OpKind.Mkdir, "docs"), Row(2, OpKind.Put, "docs/a.txt"), Row(3, OpKind.Move, "docs", "papers"),
            Row(4, OpKind.Put, "papers/b.txt"), Row(5, OpKind.Delete, "papers/a.txt"),
        };
        var tree = new RemoteTree();
        foreach (var e in log) tree.Apply(e).ShouldBe(ApplyResult.Applied);
        tree.Items.Select(i => (i.Path, i.Version)).ShouldBe([("papers", 3L), ("papers/b.txt", 4L)]);
        tree.Apply(log[^1]).ShouldBe(ApplyResult.AlreadyReflected);
        foreach (var e in log) tree.Apply(e); // transient states differ; the end state does not
        tree.Items.Select(i => (i.Path, i.Version)).ShouldBe([("papers", 3L), ("papers/b.txt", 4L)]);
        tree.Seq.ShouldBe(5);
    }

    [Fact]
    public void A_put_older_than_the_page_is_skipped_and_a_delete_spares_entries_newer_than_itself()
    {
        var tree = new RemoteTree();
        tree.LoadPage(new TreePage(3, [Dir("d", 1), File("d/new.txt", 6)], null));
        tree.Apply(Row(4, OpKind.Put, "d/new.txt")).ShouldBe(ApplyResult.AlreadyReflected);
        tree.Apply(Row(5, OpKind.Delete, "d")).ShouldBe(ApplyResult.Applied);
        tree.Items.Select(i => i.Path).ShouldBe(["d/new.txt"], "the entry at version 6 was written after the delete at 5");
    }

    [Fact]
    public void A_move_drops_the_stale_copy_when_the_destination_already_shows_a_newer_version()
    {
        var tree = new RemoteTree();
        tree.LoadPage(new TreePage(2, [Dir("a", 1), File("a/f", 2)], "A/F"));
        tree.LoadPage(new TreePage(2, [Dir("b", 3), File("b/f", 4)], null)); // moved at 3, edited at 4
        tree.Apply(Row(3, OpKind.Move, "a", "b")).ShouldBe(ApplyResult.Applied);
        tree.Apply(Row(4, OpKind.Put, "b/f")).ShouldBe(ApplyResult.AlreadyReflected);
        tree.Items.Select(i => (i.Path, i.Version)).ShouldBe([("b", 3L), ("b/f", 4L)]);
    }

    [Fact]
    public void A_case_only_rename_keeps_one_entry_per_key()
    {
        var tree = new RemoteTree();
        tree.LoadPage(new TreePage(2, [Dir("Docs", 1), File("Docs/x", 2)], null));
        tree.Apply(Row(3, OpKind.Move, "Docs", "docs")).ShouldBe(ApplyResult.Applied);
        tree.Items.Select(i => (i.Path, i.Version)).ShouldBe([("docs", 3L), ("docs/x", 3L)]);
        tree.Find("DOCS/X")!.Path.ShouldBe("docs/x");
    }

    [Fact]
    public void A_move_committed_between_pages_is_reported_as_a_torn_snapshot()
    {
        var tree = new RemoteTree();
        tree.LoadPage(new TreePage(5, [Dir("a", 1)], "A"));
        tree.LoadPage(new TreePage(6, [], null)); // 'z' moved to 'a/z' at 6, after page 1 was read
        tree.Apply(Row(6, OpKind.Move, "z", "a/z")).ShouldBe(ApplyResult.TornSnapshot);
        tree.Seq.ShouldBe(5, "nothing was applied");
    }

    [Fact]
    public void Rows_of_other_containers_advance_the_cursor_only()
    {
        var tree = new RemoteTree("photos");
        tree.Apply(Row(1, OpKind.Mkdir, "x")).ShouldBe(ApplyResult.OtherContainer);
        tree.Count.ShouldBe(0);
        tree.Seq.ShouldBe(1);
    }

    [Fact]
    public void Tree_pages_read_during_commits_plus_the_log_converge_to_full_replay()
    {
        // seed drives the model; steps = history length; paging and the interleaving of commits between pages vary.
        // 500 cases: without the torn-snapshot check this finds a lost item within a few dozen cases.
        var cases = Gen.Choose(1, int.MaxValue).SelectMany(_ => Gen.Choose(1, 80), (seed, steps) => (seed, steps))
            .SelectMany(_ => Gen.Choose(1, 6), (x, pageSize) => (x.seed, x.steps, pageSize));
        var torn = 0;
        var runs = 0;
        Prop.ForAll(Arb.From(cases), c =>
        {
            runs++;
            var model = new SyncModel(c.seed);
            for (var i = 0; i < c.steps; i++) model.Step();
            var expected = SyncModel.Render(model.Live.Values);

            var full = new RemoteTree();
            foreach (var e in model.Log) full.Apply(e);
            SyncModel.Render(full.Items).ShouldBe(expected, "full replay");

            var random = new Random(c.seed ^ 0x5A5A);
            var start = random.Next(0, (int)model.Head + 1);
            while (true)
            {
                var (tree, result) = Bootstrap(model, start, c.pageSize, random);
                if (result == ApplyResult.TornSnapshot)
                {
                    torn++;
                    start = (int)tree.SnapshotTo; // try again from where paging ended
                    continue;
                }
                SyncModel.Render(tree.Items).ShouldBe(expected, $"bootstrap from seq {start}");
                tree.Seq.ShouldBe(model.Head);
                break;
            }
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(500));
        torn.ShouldBeLessThan(runs * 10);
    }

    /// <summary>Reads pages while the head moves on between them, then replays the log after the first page's seq.</summary>
    static (RemoteTree Tree, ApplyResult Result) Bootstrap(SyncModel model, int start, int pageSize, Random random)
    {
        var tree = new RemoteTree();
        long at = start;
        string? cursor = null;
        do
        {
            var page = model.Page(at, cursor, pageSize);
            tree.LoadPage(page);
            cursor = page.Next;
            at = Math.Min(model.Head, at + random.Next(0, 3)); // commits land between pages
        } while (cursor is not null);
        foreach (var e in model.Log.Where(e => e.Seq > tree.Seq))
        {
            var result = tree.Apply(e);
            if (result == ApplyResult.TornSnapshot) return (tree, result);
        }
        return (tree, ApplyResult.Applied);
    }
}
