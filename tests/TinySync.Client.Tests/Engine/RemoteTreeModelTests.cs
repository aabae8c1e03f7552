using TinySync.Client.Engine;
using TinySync.Client.Index;
using TinySync.Core.Contracts;
using TinySync.Core.Paths;
using TinySync.Core.Sync;

namespace TinySync.Client.Tests.Engine;

public sealed class RemoteTreeModelTests
{
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
            // replay twice (idempotent) in order
            foreach (var e in entries.Concat(entries))
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
