using TinySync.Client.Engine;
using TinySync.Client.Index;
using TinySync.Core.Contracts;

namespace TinySync.Client.Tests.Engine;

public sealed class KeyMapTests
{
    [Fact]
    public void Upserts_write_the_same_rows_as_the_tree_model_on_random_trees()
    {
        // Commits of puts and mkdirs go through a KeyMap instead of the loaded trees (decision 0414): the rows it
        // writes must leave the index exactly as the model's dirty rows do, case twins and stale versions included.
        var names = new[] { "a", "A", "b", "B", "d", "D", "d/x", "D/x", "d/X", "e" };
        for (var run = 0; run < 500; run++)
        {
            var rng = new Random(run);
            var initial = new Dictionary<string, ItemState>(StringComparer.Ordinal);
            for (var k = rng.Next(6); k > 0; k--)
            {
                var path = names[rng.Next(names.Length)];
                initial[path] = Item(path, rng.Next(1, 20));
            }
            var model = new RemoteTreeModel(new Dictionary<string, ItemState>(initial, StringComparer.Ordinal));
            var map = new KeyMap(initial.Select(kv => (kv.Key, kv.Value.Version)), 4);
            for (var k = rng.Next(1, 12); k > 0; k--)
            {
                var item = Item(names[rng.Next(names.Length)], rng.Next(1, 40));
                model.Upsert(item);
                map.Upsert(item);
            }

            var viaModel = new Dictionary<string, ItemState>(initial, StringComparer.Ordinal);
            foreach (var p in model.Dirty)
            {
                if (model.Items.TryGetValue(p, out var item)) viaModel[p] = item;
                else viaModel.Remove(p);
            }
            var viaMap = new Dictionary<string, ItemState>(initial, StringComparer.Ordinal);
            foreach (var (p, item) in map.Changes)
            {
                if (item is not null) viaMap[p] = item;
                else viaMap.Remove(p);
            }
            viaMap.OrderBy(kv => kv.Key, StringComparer.Ordinal).ShouldBe(viaModel.OrderBy(kv => kv.Key, StringComparer.Ordinal), $"run {run}");
        }
    }

    [Fact]
    public void A_map_holds_exactly_the_rows_it_was_built_from()
    {
        var rows = new[] { ("a", 3L), ("d", 1L), ("d/x", 2L) };
        var map = new KeyMap(rows, 0);
        map.Holds(rows).ShouldBeTrue();
        map.Holds(rows.Reverse()).ShouldBeTrue();
        map.Holds([("a", 3L), ("d", 1L)]).ShouldBeFalse(); // a row fewer
        map.Holds([.. rows, ("e", 1L)]).ShouldBeFalse(); // a row more
        map.Holds([("a", 4L), ("d", 1L), ("d/x", 2L)]).ShouldBeFalse(); // another version
        map.Holds([("A", 3L), ("d", 1L), ("d/x", 2L)]).ShouldBeFalse(); // the same key in another case
    }

    static ItemState Item(string path, long version) =>
        new() { Path = path, Kind = ItemKind.File, Version = version, Size = 1, Chunks = ["h" + version] };
}
