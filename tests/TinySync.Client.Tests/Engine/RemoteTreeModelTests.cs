using TinySync.Client.Engine;
using TinySync.Client.Index;
using TinySync.Core.Contracts;
using TinySync.Core.Paths;
using TinySync.Core.Sync;

namespace TinySync.Client.Tests.Engine;

public sealed class RemoteTreeModelTests
{
    [Fact]
    public void A_move_applied_at_commit_from_a_stale_view_is_corrected_when_the_log_replays_it()
    {
        // reliability seed 200869: C moved d1 to x while B's edit of d1/notes.md (seq 8) was not pulled yet; C's model
        // kept the old content at x/notes.md with the move's version, so C's next put overwrote B's edit unseen
        var model = new RemoteTreeModel(new Dictionary<string, ItemState>(StringComparer.Ordinal)
        {
            ["d1"] = new() { Path = "d1", Kind = ItemKind.Dir, Version = 2 },
            ["d1/notes.md"] = new() { Path = "d1/notes.md", Kind = ItemKind.File, Version = 3, Size = 1, Chunks = ["old"] },
        });
        model.Move("d1", "x", 10); // our own commit's result
        model.Apply(Entry(8, OpKind.Put, "d1/notes.md", chunks: ["b-edit"])); // the pull replays what we had not seen
        model.Apply(Entry(10, OpKind.Move, "d1", newPath: "x"));
        model.Items["x/notes.md"].Chunks.ShouldBe(["b-edit"]);
        model.Items["x/notes.md"].Version.ShouldBe(10);
        model.Items.Keys.ShouldNotContain("d1/notes.md");
    }

    [Fact]
    public void Another_devices_delete_of_a_path_that_a_stale_commit_time_move_took_away_is_a_contradiction()
    {
        // reliability seed 303619: A deleted docs/a.txt (seq 5); C, not having pulled it, moved docs to D2 (seq 7) and
        // carried a.txt along at commit time. Replayed, the delete finds nothing at docs/a.txt and the move row finds
        // nothing to move: D2/a.txt stayed in C's tree though the server never had it, and C's put based on it
        // conflicted in every round. The delete row is the evidence; the engine then reads the server's tree again.
        var model = new RemoteTreeModel(new Dictionary<string, ItemState>(StringComparer.Ordinal)
        {
            ["docs"] = new() { Path = "docs", Kind = ItemKind.Dir, Version = 1 },
            ["docs/a.txt"] = new() { Path = "docs/a.txt", Kind = ItemKind.File, Version = 2, Size = 1, Chunks = ["c"] },
        });
        model.Move("docs", "D2", 7); // our own commit's result
        model.Apply(Entry(6, OpKind.Put, "docs/b.txt", chunks: ["b"]), foreign: true); // a put needs no source: no evidence
        model.Contradiction.ShouldBeNull();
        var delete = Entry(5, OpKind.Delete, "docs/a.txt");
        model.Apply(delete, foreign: true);
        model.Contradiction.ShouldBe(delete);

        // our own rows replayed after their commit-time application are no evidence
        var own = new RemoteTreeModel(new Dictionary<string, ItemState>(StringComparer.Ordinal)
        {
            ["f"] = new() { Path = "f", Kind = ItemKind.File, Version = 2, Size = 1, Chunks = ["c"] },
        });
        own.RemoveSubtree("f", 3);
        own.Apply(Entry(3, OpKind.Delete, "f"), foreign: false);
        own.Contradiction.ShouldBeNull();
    }

    [Fact]
    public void Another_devices_move_of_a_path_this_device_has_since_put_from_a_stale_view_is_a_contradiction()
    {
        // B put e (seq 2) and moved it to docs/c.bin (seq 3); this device, its view still at 0, put its own e (seq 4),
        // applied at commit time. Replayed, the move finds only the newer e and moves nothing: docs/c.bin would be missing.
        var model = new RemoteTreeModel(new Dictionary<string, ItemState>(StringComparer.Ordinal)
        {
            ["e"] = new() { Path = "e", Kind = ItemKind.File, Version = 4, Size = 1, Chunks = ["mine"] },
        });
        model.Apply(Entry(1, OpKind.Mkdir, "docs"), foreign: true);
        model.Apply(Entry(2, OpKind.Put, "e", chunks: ["theirs"]), foreign: true); // the newer e stays: no evidence yet
        model.Contradiction.ShouldBeNull();
        var move = Entry(3, OpKind.Move, "e", "docs/c.bin");
        model.Apply(move, foreign: true);
        model.Contradiction.ShouldBe(move);

        // a delete of such a path leaves the newer item, which is right: no evidence
        var deleted = new RemoteTreeModel(new Dictionary<string, ItemState>(StringComparer.Ordinal)
        {
            ["e"] = new() { Path = "e", Kind = ItemKind.File, Version = 4, Size = 1, Chunks = ["mine"] },
        });
        deleted.Apply(Entry(3, OpKind.Delete, "e"), foreign: true);
        deleted.Contradiction.ShouldBeNull();
        deleted.Items["e"].Version.ShouldBe(4);
    }

    static LogEntry Entry(long seq, OpKind kind, string path, string? newPath = null, string[]? chunks = null) => new()
    {
        Seq = seq, OpId = Guid.NewGuid(), DeviceId = Guid.Empty, Kind = kind, Container = "default", Path = path, NewPath = newPath,
        Size = chunks is null ? null : 1, Chunks = chunks, Executable = chunks is null ? null : false, CommittedAt = DateTimeOffset.UnixEpoch,
    };

    [Fact]
    public void The_incremental_model_agrees_with_the_shared_core_model_on_random_valid_logs()
    {
        var names = new[] { "a", "b", "A", "d", "d/x", "d/y", "e", "e/x", "D/z" };
        for (var run = 0; run < 300; run++)
        {
            var rng = new Random(run);
            var reference = new RemoteTree();
            var model = new RemoteTreeModel(new Dictionary<string, ItemState>(StringComparer.Ordinal));
            var entries = new List<LogEntry>();
            var truth = new RemoteTree();
            var seq = 0;
            for (var attempt = 0; attempt < 60; attempt++)
            {
                var kind = (OpKind)rng.Next(4);
                var path = names[rng.Next(names.Length)];
                var e = new LogEntry
                {
                    Seq = seq + 1, OpId = Guid.NewGuid(), DeviceId = Guid.Empty, Kind = kind, Container = "default", Path = path,
                    NewPath = kind == OpKind.Move ? names[rng.Next(names.Length)] : null,
                    Size = kind == OpKind.Put ? seq : null, Chunks = kind == OpKind.Put ? ["h" + seq] : null, Executable = kind == OpKind.Put ? false : null,
                    CommittedAt = DateTimeOffset.UnixEpoch,
                };
                if (!Valid(truth, e)) continue;
                seq++;
                truth.Apply(e);
                entries.Add(e);
            }
            // replay in order as other devices' rows: a faithful replay never contradicts the tree it builds
            foreach (var e in entries)
            {
                reference.Apply(e);
                model.Apply(e, foreign: true);
            }
            model.Contradiction.ShouldBeNull($"run {run}");
            // and again (idempotent)
            foreach (var e in entries)
            {
                reference.Apply(e);
                model.Apply(e);
            }
            var expected = reference.Items.Select(i => (VaultPath.Key(i.Path), i.Version, i.Kind)).OrderBy(x => x.Item1, StringComparer.Ordinal).ToList();
            var actual = model.Items.Values.Select(i => (VaultPath.Key(i.Path), i.Version, i.Kind)).OrderBy(x => x.Item1, StringComparer.Ordinal).ToList();
            actual.ShouldBe(expected, $"run {run}");
        }
    }

    // What the server would accept: parents are live directories, deletes and moves name a live item, a move's
    // destination is free and not inside the moved item.
    static bool Valid(RemoteTree t, LogEntry e)
    {
        bool ParentOk(string p) => VaultPath.Parent(p) is not { } parent || t.Find(parent)?.Kind == ItemKind.Dir;
        var current = t.Find(e.Path);
        return e.Kind switch
        {
            OpKind.Put => ParentOk(e.Path) && current?.Kind != ItemKind.Dir,
            OpKind.Mkdir => ParentOk(e.Path) && current is null,
            OpKind.Delete => current is not null,
            OpKind.Move => current is not null && e.NewPath is not null && t.Find(e.NewPath) is null && ParentOk(e.NewPath)
                && !VaultPath.IsSameOrUnder(e.NewPath, e.Path),
            _ => false,
        };
    }
}
