using TinySync.Client.Engine;
using TinySync.Client.FileSystem;
using TinySync.Client.Index;
using TinySync.Client.Scanning;
using TinySync.Client.State;

namespace TinySync.Client.Tests.Scanning;

public sealed class SelectionScanTests : IDisposable
{
    readonly string _root = Directory.CreateTempSubdirectory("tinysync-selscan-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    void Write(string rel, string text)
    {
        var path = Path.Combine(_root, rel);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    [Fact]
    public void The_scanner_does_not_walk_an_excluded_folder_it_held_nothing_in_but_records_the_folder_itself()
    {
        Write("docs/a.txt", "a");
        Write("photos/p.jpg", "p");
        var stats = new SyncStats();
        var scan = new Scanner(RealFileSystem.Instance, NullObserver.Instance, stats)
            .Scan(_root, new Dictionary<string, LocalState>(), default, selection: Selection.Create(SelectionMode.Exclude, ["photos"]));
        scan.Local.Keys.ShouldBe(["docs", "docs/a.txt", "photos"], ignoreOrder: true);
        stats.FilesHashed.ShouldBe(1);
    }

    [Fact]
    public void The_scanner_walks_an_excluded_folder_while_the_previous_scan_held_something_in_it()
    {
        Write("photos/p.jpg", "p");
        var scanner = new Scanner(RealFileSystem.Instance, NullObserver.Instance, new SyncStats());
        var before = scanner.Scan(_root, new Dictionary<string, LocalState>(), default);
        var after = scanner.Scan(_root, before.Local, default, selection: Selection.Create(SelectionMode.Exclude, ["photos"]));
        after.Local.Keys.ShouldBe(["photos", "photos/p.jpg"], ignoreOrder: true);
    }

    [Fact]
    public void Narrowing_finds_a_file_made_here_under_the_excluded_folder_as_unsynced()
    {
        Write("photos/new.jpg", "new");
        var state = Directory.CreateTempSubdirectory("tinysync-selstate-").FullName;
        var link = new Link { LinkId = Guid.NewGuid(), VaultId = Guid.NewGuid(), Container = "default", Directory = _root };
        var found = SelectionCheck.FirstUnsynced(link, state, Selection.All, Selection.Create(SelectionMode.Exclude, ["photos"]));
        found.ShouldNotBeNull().Path.ShouldBe("photos");
        found.Reason.ShouldContain("not uploaded yet");
        SelectionCheck.FirstUnsynced(link, state, Selection.All, Selection.Create(SelectionMode.Exclude, ["music"])).ShouldBeNull();
    }
}
