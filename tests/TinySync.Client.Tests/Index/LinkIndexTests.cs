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
    public void Base_and_local_share_the_remote_trees_equal_objects_and_strings_and_keep_their_own_values()
    {
        var mtime = new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);
        using var index = LinkIndex.Open(_dir);
        using (var b = index.Begin())
        {
            // one statement prepared once per batch: a null then a non-null mtime, and several rows, must all land
            b.PutRemote(new ItemState { Path = "same", Kind = ItemKind.File, Version = 3, Size = 5, Chunks = ["h1", "h2"], Mtime = null });
            b.PutRemote(new ItemState { Path = "differs", Kind = ItemKind.File, Version = 4, Size = 6, Chunks = ["h3"], Mtime = mtime });
            b.PutRemote(new ItemState { Path = "prefix", Kind = ItemKind.File, Version = 5, Size = 2, Chunks = ["h1"] });
            b.PutBase(new ItemState { Path = "same", Kind = ItemKind.File, Version = 3, Size = 5, Chunks = ["h1", "h2"], Mtime = null });
            b.PutBase(new ItemState { Path = "differs", Kind = ItemKind.File, Version = 2, Size = 6, Chunks = ["h3"], Mtime = mtime });
            b.PutBase(new ItemState { Path = "prefix", Kind = ItemKind.File, Version = 5, Size = 2, Chunks = ["h1", "h2"] });
            b.PutLocal(new LocalState { Path = "same", Kind = ItemKind.File, Size = 5, Chunks = [new ChunkRef("h1", 2), new ChunkRef("h2", 3)] });
            b.PutLocal(new LocalState { Path = "differs", Kind = ItemKind.File, Size = 7, Chunks = [new ChunkRef("h9", 7)] });
            b.Commit();
        }
        var remote = index.LoadRemote();
        var @base = index.LoadBase(remote);
        @base["same"].ShouldBeSameAs(remote["same"]);
        @base["differs"].ShouldNotBeSameAs(remote["differs"]);
        @base["differs"].Version.ShouldBe(2);
        @base["differs"].Mtime.ShouldBe(mtime);
        @base["prefix"].ShouldNotBeSameAs(remote["prefix"], "one more chunk is not the same content");
        @base["prefix"].Chunks.ShouldBe(["h1", "h2"]);
        foreach (var (path, plain) in index.LoadBase())
        {
            plain.SameContent(@base[path]).ShouldBeTrue(path);
            (plain.Version, plain.Mtime).ShouldBe((@base[path].Version, @base[path].Mtime), path);
        }

        var local = index.LoadLocal(remote);
        local["same"].Chunks.ShouldBe([new ChunkRef("h1", 2), new ChunkRef("h2", 3)]);
        local["same"].Chunks[0].Hash.ShouldBeSameAs(remote["same"].Chunks[0]);
        local["same"].Path.ShouldBeSameAs(remote["same"].Path);
        local["differs"].Chunks.ShouldBe([new ChunkRef("h9", 7)]);
        local["differs"].Size.ShouldBe(7);
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

    [Theory]
    [InlineData(13, 13, IndexProblem.DiskFull)] // SQLITE_FULL
    [InlineData(5, 5, IndexProblem.Busy)] // SQLITE_BUSY
    [InlineData(8, 1032, IndexProblem.ReadOnly)] // SQLITE_READONLY_DBMOVED
    [InlineData(3, 3, IndexProblem.Permission)] // SQLITE_PERM
    [InlineData(14, 14, IndexProblem.Permission)] // SQLITE_CANTOPEN
    [InlineData(10, 778, IndexProblem.Io)] // SQLITE_IOERR_WRITE
    public void Index_errors_that_are_not_corruption_are_told_apart(int code, int extended, IndexProblem expected)
    {
        var e = new Microsoft.Data.Sqlite.SqliteException("SQLite Error", code, extended);
        IndexFailure.IsCorruption(e).ShouldBeFalse();
        var described = IndexFailure.Describe(_dir, e);
        described.Problem.ShouldBe(expected);
        described.Message.ShouldContain(_dir);
        described.RetryLater.ShouldBe(expected is IndexProblem.DiskFull or IndexProblem.Busy);
    }

    [Fact]
    public void Only_corrupt_and_not_a_database_errors_count_as_corruption()
    {
        IndexFailure.IsCorruption(new Microsoft.Data.Sqlite.SqliteException("x", 11, 11)).ShouldBeTrue();
        IndexFailure.IsCorruption(new Microsoft.Data.Sqlite.SqliteException("x", 26, 26)).ShouldBeTrue();
        IndexFailure.IsCorruption(new Microsoft.Data.Sqlite.SqliteException("x", 13, 13)).ShouldBeFalse();
    }

    [Fact]
    public void An_index_without_the_tinysync_schema_is_moved_aside()
    {
        using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_dir, "index.db")};Pooling=False"))
        {
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = "CREATE TABLE other (x INTEGER)";
            cmd.ExecuteNonQuery();
        }
        using var index = LinkIndex.Open(_dir);
        index.WasRebuilt.ShouldBeTrue();
    }
}
