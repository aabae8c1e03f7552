using TinySync.Client.Index;
using TinySync.Core.Contracts;

namespace TinySync.Client.Tests.Index;

public sealed class LinkIndexTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("tinysync-index-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void The_three_trees_and_the_cursor_round_trip()
    {
        using (var index = LinkIndex.Open(_dir))
        {
            using var b = index.Begin();
            b.PutRemote(new ItemState { Path = "a", Kind = ItemKind.File, Version = 3, Size = 5, Chunks = ["h1", "h2"], Executable = true });
            b.PutBase(new ItemState { Path = "d", Kind = ItemKind.Dir, Version = 2 });
            b.PutLocal(new LocalState { Path = "a", Kind = ItemKind.File, Size = 5, MtimeNs = 99, Inode = ulong.MaxValue, Chunks = [new ChunkRef("h1", 2), new ChunkRef("h2", 3)] });
            b.SetCursor(7);
            b.Commit();
        }
        using var again = LinkIndex.Open(_dir);
        again.WasRebuilt.ShouldBeFalse();
        again.Cursor.ShouldBe(7);
        again.LoadRemote()["a"].Chunks.ShouldBe(["h1", "h2"]);
        again.LoadBase()["d"].Kind.ShouldBe(ItemKind.Dir);
        var l = again.LoadLocal()["a"];
        l.Inode.ShouldBe(ulong.MaxValue);
        l.Chunks.ShouldBe([new ChunkRef("h1", 2), new ChunkRef("h2", 3)]);
    }

    [Fact]
    public void A_corrupted_file_is_moved_aside_and_a_fresh_index_starts()
    {
        File.WriteAllText(Path.Combine(_dir, "index.db"), new string('x', 5000));
        using var index = LinkIndex.Open(_dir);
        index.WasRebuilt.ShouldBeTrue();
        index.Cursor.ShouldBe(0);
        Directory.EnumerateFiles(_dir, "index.db.corrupt-*").ShouldNotBeEmpty();
    }
}
