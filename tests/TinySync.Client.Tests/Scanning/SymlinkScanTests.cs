using TinySync.Client.Engine;
using TinySync.Client.FileSystem;
using TinySync.Client.Index;
using TinySync.Client.Scanning;
using TinySync.Core.Contracts;

namespace TinySync.Client.Tests.Scanning;

public sealed class SymlinkScanTests : IDisposable
{
    readonly string _temp = Directory.CreateTempSubdirectory("tinysync-symscan-").FullName;
    string Root => Path.Combine(_temp, "root");
    string Outside => Path.Combine(_temp, "outside");

    public SymlinkScanTests()
    {
        Directory.CreateDirectory(Path.Combine(Root, "D"));
        File.WriteAllText(Path.Combine(Root, "D", "a.txt"), "a");
        Directory.CreateDirectory(Outside);
        File.WriteAllText(Path.Combine(Outside, "other.txt"), "outside");
    }

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    static ScanResult Scan(string root, IReadOnlyDictionary<string, LocalState> previous, Collect observer) =>
        new Scanner(RealFileSystem.Instance, observer, new SyncStats()).Scan(root, previous, default);

    [Fact]
    public void A_symlink_where_a_synced_folder_was_makes_its_subtree_unknown_not_deleted()
    {
        var first = Scan(Root, new Dictionary<string, LocalState>(), new Collect());
        first.Local.Keys.Order().ShouldBe(["D", "D/a.txt"]);
        Directory.Delete(Path.Combine(Root, "D"), recursive: true);
        Directory.CreateSymbolicLink(Path.Combine(Root, "D"), Outside);

        var observer = new Collect();
        var second = Scan(Root, first.Local, observer);
        second.Unknown.ShouldBe(["D"]);
        second.IsUnknown("D/a.txt").ShouldBeTrue();
        second.Local.ShouldBeEmpty(); // nothing read through the link
        observer.Lines.ShouldHaveSingleItem().ShouldContain("is now a symbolic link");
    }

    [Fact]
    public void A_symlink_where_the_synced_base_holds_a_file_the_previous_scan_never_recorded_is_unknown()
    {
        // a folder renamed here: its move is committed, so the base holds D/b.txt, while the previous scan recorded
        // the file under the folder's old name only (seed 732334)
        File.CreateSymbolicLink(Path.Combine(Root, "D", "b.txt"), Path.Combine(Outside, "other.txt"));
        var synced = new Dictionary<string, ItemState>
        {
            ["D"] = new() { Path = "D", Kind = ItemKind.Dir, Version = 6 },
            ["D/b.txt"] = new() { Path = "D/b.txt", Kind = ItemKind.File, Version = 4, Size = 3, Chunks = ["h"] },
        };
        var observer = new Collect();
        var scan = ScanWithBase(new Dictionary<string, LocalState>(), synced, observer);
        scan.IsUnknown("D/b.txt").ShouldBeTrue();
        scan.Local.Keys.Order().ShouldBe(["D", "D/a.txt"]);
        observer.Lines.ShouldHaveSingleItem().ShouldContain("is now a symbolic link");
    }

    [Fact]
    public void A_symlink_under_a_folder_renamed_only_in_case_is_unknown_under_both_spellings()
    {
        // synced as d/b.txt; here the folder became D (a case-only rename) and its file a link
        File.CreateSymbolicLink(Path.Combine(Root, "D", "b.txt"), Path.Combine(Outside, "other.txt"));
        var previous = new Dictionary<string, LocalState>
        {
            ["d"] = new() { Path = "d", Kind = ItemKind.Dir, Inode = 1 },
            ["d/b.txt"] = new() { Path = "d/b.txt", Kind = ItemKind.File, Size = 1, Inode = 2 },
        };
        var scan = ScanWithBase(previous, new Dictionary<string, ItemState>(), new Collect());
        scan.Unknown.Order(StringComparer.Ordinal).ShouldBe(["D/b.txt", "d/b.txt"]);
    }

    [Fact]
    public void A_symlink_at_a_name_nothing_was_synced_under_in_any_case_stays_a_skipped_new_link()
    {
        File.CreateSymbolicLink(Path.Combine(Root, "D", "c.txt"), Path.Combine(Outside, "other.txt"));
        var synced = new Dictionary<string, ItemState> { ["D/b.txt"] = new() { Path = "D/b.txt", Kind = ItemKind.File, Version = 4 } };
        var observer = new Collect();
        var scan = ScanWithBase(new Dictionary<string, LocalState>(), synced, observer);
        scan.Unknown.ShouldBeEmpty();
        observer.Lines.ShouldHaveSingleItem().ShouldContain("symlinks are not synced");
    }

    ScanResult ScanWithBase(IReadOnlyDictionary<string, LocalState> previous, IReadOnlyDictionary<string, ItemState> synced, Collect observer) =>
        new Scanner(RealFileSystem.Instance, observer, new SyncStats()).Scan(new ContainedFolder(Root, RealFileSystem.Instance), previous, () => synced, default);

    [Fact]
    public void A_new_symlink_to_a_file_or_folder_is_skipped_with_one_warning_each()
    {
        File.CreateSymbolicLink(Path.Combine(Root, "f-link"), Path.Combine(Outside, "other.txt"));
        Directory.CreateSymbolicLink(Path.Combine(Root, "d-link"), Outside);
        var observer = new Collect();
        var scan = Scan(Root, new Dictionary<string, LocalState>(), observer);
        scan.Local.Keys.Order().ShouldBe(["D", "D/a.txt"]);
        scan.Unknown.ShouldBeEmpty();
        observer.Lines.Count(l => l.Contains("symlinks are not synced", StringComparison.Ordinal)).ShouldBe(2);
    }

    [Fact]
    public void Two_symlink_loops_are_not_walked_and_temp_files_behind_a_link_are_not_ours()
    {
        Directory.CreateSymbolicLink(Path.Combine(Root, "D", "l1"), "..");
        Directory.CreateSymbolicLink(Path.Combine(Root, "D", "l2"), "..");
        File.WriteAllText(Path.Combine(Outside, IgnoreRules.TempPrefix + "theirs"), "x");
        Directory.CreateSymbolicLink(Path.Combine(Root, "out"), Outside);
        File.WriteAllText(Path.Combine(Root, "D", IgnoreRules.TempPrefix + "ours"), "x");
        File.CreateSymbolicLink(Path.Combine(Root, IgnoreRules.TempPrefix + "link"), Path.Combine(Outside, "other.txt"));

        var scan = Scan(Root, new Dictionary<string, LocalState>(), new Collect());
        scan.Local.Keys.Order().ShouldBe(["D", "D/a.txt"]);
        scan.LeftoverTemps.ShouldBe(["D/" + IgnoreRules.TempPrefix + "ours"]); // a link named like a temp file is not one
    }

    [Fact]
    public void A_symlinked_ignore_file_stops_the_scan_with_a_clear_error_rather_than_dropping_the_rules()
    {
        File.WriteAllText(Path.Combine(Outside, "rules"), "*.secret");
        File.CreateSymbolicLink(Path.Combine(Root, IgnoreRules.FileName), Path.Combine(Outside, "rules"));
        Should.Throw<IOException>(() => Scan(Root, new Dictionary<string, LocalState>(), new Collect())).Message.ShouldContain("symbolic link");
    }

    sealed class Collect : ISyncObserver
    {
        public List<string> Lines { get; } = [];
        public void Message(MessageLevel level, string text)
        {
            lock (Lines) Lines.Add(text);
        }
        public void Progress(string phase, long done, long total) { }
    }
}
