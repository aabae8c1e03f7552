using TinySync.Client.Engine;
using TinySync.Client.Index;
using TinySync.Client.Scanning;
using TinySync.Core.Contracts;

namespace TinySync.Client.Tests.Engine;

public sealed class PlannerTests
{
    static readonly DateTimeOffset Now = new(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);

    internal static ItemState File(string path, long version, params string[] chunks) =>
        new() { Path = path, Kind = ItemKind.File, Version = version, Size = chunks.Length * 10, Chunks = chunks };

    internal static ItemState Dir(string path, long version) => new() { Path = path, Kind = ItemKind.Dir, Version = version };

    internal static LocalState Local(string path, ulong inode, params string[] chunks) =>
        new() { Path = path, Kind = ItemKind.File, Size = chunks.Length * 10, Inode = inode, MtimeNs = 1, Chunks = chunks.Select(c => new ChunkRef(c, 10)).ToArray() };

    internal static LocalState LocalDir(string path, ulong inode) => new() { Path = path, Kind = ItemKind.Dir, Inode = inode };

    internal static Plan Make(IEnumerable<ItemState> remote, IEnumerable<ItemState> @base, IEnumerable<LocalState> local, IEnumerable<LocalState>? previous = null,
        Selection? selection = null)
    {
        var scan = new ScanResult();
        foreach (var l in local) scan.Local[l.Path] = l;
        return Planner.Make(new Planner.Input(
            remote.ToDictionary(r => r.Path), @base.ToDictionary(b => b.Path), scan,
            (previous ?? local).ToDictionary(p => p.Path), new Dictionary<string, (string, string)>(), "laptop", Now, selection));
    }

    [Fact]
    public void Nothing_changed_means_nothing_to_do()
    {
        Make([File("a", 1, "h1")], [File("a", 1, "h1")], [Local("a", 1, "h1")]).IsEmpty.ShouldBeTrue();
    }

    [Fact]
    public void A_local_edit_uploads_with_the_remote_version_as_base()
    {
        var plan = Make([File("a", 3, "h1")], [File("a", 3, "h1")], [Local("a", 1, "h2")]);
        plan.Actions.ShouldHaveSingleItem().ShouldBeOfType<UploadPut>().Base.ShouldBe(3);
    }

    [Fact]
    public void A_remote_edit_downloads_only_if_the_local_file_is_unchanged()
    {
        var plan = Make([File("a", 5, "h2")], [File("a", 3, "h1")], [Local("a", 1, "h1")]);
        var d = plan.Actions.ShouldHaveSingleItem().ShouldBeOfType<Download>();
        d.Expected.ShouldNotBeNull().Hashes.ShouldBe(["h1"]);
    }

    [Fact]
    public void Two_different_edits_rename_the_local_copy_with_the_device_name_and_time()
    {
        var plan = Make([File("docs/a.txt", 5, "h2")], [File("docs/a.txt", 3, "h1")], [Local("docs/a.txt", 1, "h3")]);
        var c = plan.Actions.ShouldHaveSingleItem().ShouldBeOfType<ConflictRename>();
        c.NewPath.ShouldBe("docs/a (conflict from laptop 2026-11-22 100000).txt");
    }

    [Fact]
    public void Identical_edits_on_both_sides_just_record_the_base()
    {
        var plan = Make([File("a", 5, "h2")], [File("a", 3, "h1")], [Local("a", 1, "h2")]);
        plan.Actions.ShouldHaveSingleItem().ShouldBeOfType<AdoptBase>().Remote!.Version.ShouldBe(5);
    }

    [Fact]
    public void A_local_edit_beats_a_remote_delete()
    {
        var plan = Make([], [File("a", 3, "h1")], [Local("a", 1, "h2")]);
        plan.Actions.ShouldHaveSingleItem().ShouldBeOfType<UploadPut>().Base.ShouldBe(0);
    }

    [Fact]
    public void A_remote_edit_beats_a_local_delete()
    {
        var plan = Make([File("a", 5, "h2")], [File("a", 3, "h1")], []);
        plan.Actions.ShouldHaveSingleItem().ShouldBeOfType<Download>().Expected.ShouldBeNull();
    }

    [Fact]
    public void A_remotely_deleted_directory_with_a_local_edit_inside_is_recreated_not_deleted()
    {
        var plan = Make([], [Dir("d", 1), File("d/a", 2, "h1")], [LocalDir("d", 7), Local("d/a", 8, "h2")]);
        plan.Actions.ShouldContain(a => a is UploadMkdir && a.Path == "d");
        plan.Actions.ShouldContain(a => a is UploadPut && a.Path == "d/a");
        plan.Actions.ShouldNotContain(a => a is LocalDelete);
    }

    [Fact]
    public void A_folder_with_a_new_file_inside_that_became_a_file_on_the_server_moves_aside_under_a_conflict_name()
    {
        // reliability seed 52: re-creating the folder could never commit (a file holds the path), so sync never converged
        var plan = Make([File("d2", 9, "h9")], [Dir("d2", 2), File("d2/b.txt", 3, "h1")], [LocalDir("d2", 7), Local("d2/e", 8, "h1")]);
        var c = plan.Actions.OfType<ConflictRename>().ShouldHaveSingleItem();
        c.Path.ShouldBe("d2");
        c.NewPath.ShouldBe("d2 (conflict from laptop 2026-11-22 100000)");
        plan.Actions.OfType<UploadMkdir>().ShouldBeEmpty();
    }

    [Fact]
    public void A_folder_replaced_here_by_a_file_is_never_moved_along_with_a_new_file_reusing_that_files_inode()
    {
        // reliability seed 126: the server moved the whole folder d1 (with another device's files) to a.txt
        var plan = Make([Dir("d1", 2), File("d1/b.txt", 3, "h1")], [Dir("d1", 2)], [Local("a.txt", 5, "h7")], previous: [Local("d1", 5, "h0")]);
        plan.Actions.OfType<UploadMove>().ShouldBeEmpty();
        plan.Actions.ShouldContain(a => a is UploadPut && a.Path == "a.txt");
    }

    [Fact]
    public void A_file_that_replaced_a_folder_which_got_new_contents_on_the_server_moves_aside()
    {
        // reliability seed 173: the folder delete could never commit and the new sub-folder never fit under a file
        var plan = Make([Dir("docs", 2), Dir("docs/docs", 9)], [Dir("docs", 2)], [Local("docs", 5, "h7")]);
        var c = plan.Actions.OfType<ConflictRename>().ShouldHaveSingleItem();
        c.Path.ShouldBe("docs");
        plan.Actions.OfType<UploadDelete>().ShouldBeEmpty();
    }

    [Fact]
    public void A_file_that_replaced_an_emptied_folder_deletes_the_folder_first()
    {
        var plan = Make([Dir("docs", 2), File("docs/a", 3, "h1")], [Dir("docs", 2), File("docs/a", 3, "h1")], [Local("docs", 5, "h7")]);
        plan.Actions.OfType<ConflictRename>().ShouldBeEmpty();
        plan.Actions.ShouldContain(a => a is UploadDelete && a.Path == "docs");
    }

    [Fact]
    public void A_kept_folder_whose_name_now_differs_only_in_case_from_a_remote_one_moves_aside()
    {
        // reliability seed 161: d1 was deleted there and D1 created; the edit inside d1 kept d1, whose mkdir clashed forever
        var plan = Make([Dir("D1", 10), File("D1/b.txt", 12, "h1")], [Dir("d1", 2), File("d1/b.txt", 3, "h1")], [LocalDir("d1", 7), Local("d1/b.txt", 8, "h2")]);
        var c = plan.Actions.OfType<ConflictRename>().ShouldHaveSingleItem();
        c.Path.ShouldBe("d1");
        plan.Actions.ShouldNotContain(a => a is UploadMkdir && a.Path == "d1");
    }

    [Fact]
    public void A_rename_is_detected_by_inode_and_sent_as_a_move()
    {
        var plan = Make([File("old", 4, "h1")], [File("old", 4, "h1")], [Local("new", 42, "h1")], previous: [Local("old", 42, "h1")]);
        var m = plan.Actions.ShouldHaveSingleItem().ShouldBeOfType<UploadMove>();
        (m.Path, m.NewPath, m.Base).ShouldBe(("old", "new", 4L));
    }

    [Fact]
    public void A_directory_move_is_one_move_for_the_whole_subtree()
    {
        var plan = Make(
            [Dir("a", 1), File("a/x", 2, "h1"), File("a/y", 3, "h2")],
            [Dir("a", 1), File("a/x", 2, "h1"), File("a/y", 3, "h2")],
            [LocalDir("b", 9), Local("b/x", 10, "h1"), Local("b/y", 11, "h2")],
            previous: [LocalDir("a", 9), Local("a/x", 10, "h1"), Local("a/y", 11, "h2")]);
        var m = plan.Actions.ShouldHaveSingleItem().ShouldBeOfType<UploadMove>();
        (m.Path, m.NewPath).ShouldBe(("a", "b"));
    }

    [Fact]
    public void A_new_file_whose_name_differs_only_in_case_from_a_remote_one_becomes_a_conflict_copy()
    {
        var plan = Make([File("README", 2, "h1")], [File("README", 2, "h1")], [Local("README", 1, "h1"), Local("readme", 2, "h9")]);
        plan.Actions.ShouldHaveSingleItem().ShouldBeOfType<ConflictRename>().NewPath.ShouldStartWith("readme (conflict from laptop ");
    }

    [Fact]
    public void A_case_only_rename_keeping_the_inode_is_a_move()
    {
        var plan = Make([File("Readme.md", 4, "h1")], [File("Readme.md", 4, "h1")], [Local("README.md", 42, "h1")], previous: [Local("Readme.md", 42, "h1")]);
        var m = plan.Actions.ShouldHaveSingleItem().ShouldBeOfType<UploadMove>();
        (m.Path, m.NewPath, m.Base).ShouldBe(("Readme.md", "README.md", 4L));
    }

    [Fact]
    public void A_case_only_folder_rename_is_one_move_for_the_whole_subtree()
    {
        var plan = Make([Dir("Docs", 1), File("Docs/x", 2, "h1")], [Dir("Docs", 1), File("Docs/x", 2, "h1")],
            [LocalDir("DOCS", 9), Local("DOCS/x", 10, "h1")], previous: [LocalDir("Docs", 9), Local("Docs/x", 10, "h1")]);
        var m = plan.Actions.ShouldHaveSingleItem().ShouldBeOfType<UploadMove>();
        (m.Path, m.NewPath).ShouldBe(("Docs", "DOCS"));
    }

    [Fact]
    public void A_case_flip_through_a_new_inode_with_new_content_is_a_move_and_never_a_conflict()
    {
        // git checkout / rsync: nuget.config written (new inode, other bytes), NuGet.config unlinked, one scan sees both
        var plan = Make([File("NuGet.config", 4, "h1")], [File("NuGet.config", 4, "h1")], [Local("nuget.config", 77, "h2")],
            previous: [Local("NuGet.config", 42, "h1")]);
        var m = plan.Actions.ShouldHaveSingleItem().ShouldBeOfType<UploadMove>();
        (m.Path, m.NewPath).ShouldBe(("NuGet.config", "nuget.config"));
    }

    [Fact]
    public void A_case_flip_that_also_changes_the_kind_deletes_the_old_name_first_and_is_no_conflict()
    {
        var plan = Make([File("notes", 4, "h1")], [File("notes", 4, "h1")], [LocalDir("NOTES", 77)], previous: [Local("notes", 42, "h1")]);
        plan.Actions.ShouldHaveSingleItem().ShouldBeOfType<UploadDelete>().Path.ShouldBe("notes");
    }

    [Fact]
    public void Case_twins_that_really_coexist_here_still_conflict_when_the_old_one_changed_on_the_server()
    {
        // the old name was edited elsewhere while it vanished here: the edit wins and comes back, the new twin moves aside
        var plan = Make([File("Readme.md", 6, "h3")], [File("Readme.md", 4, "h1")], [Local("README.md", 77, "h2")],
            previous: [Local("Readme.md", 42, "h1")]);
        plan.Actions.ShouldNotContain(a => a is UploadMove);
        plan.Actions.ShouldContain(a => a is ConflictRename && a.Path == "README.md");
    }

    [Fact]
    public void Unknown_paths_are_never_read_as_deletes()
    {
        var scan = new ScanResult();
        scan.Unknown.Add("locked.txt");
        var plan = Planner.Make(new Planner.Input(
            new Dictionary<string, ItemState> { ["locked.txt"] = File("locked.txt", 1, "h1") },
            new Dictionary<string, ItemState> { ["locked.txt"] = File("locked.txt", 1, "h1") },
            scan, new Dictionary<string, LocalState>(), new Dictionary<string, (string, string)>(), "laptop", Now));
        plan.IsEmpty.ShouldBeTrue();
    }

    [Fact]
    public void A_remote_rename_of_an_unchanged_file_is_planned_as_one_local_move()
    {
        // the server renamed a.txt to docs/b.txt; the folder still holds a.txt as synced
        var plan = Make([File("docs/b.txt", 7, "h1", "h2")], [File("a.txt", 3, "h1", "h2")], [Local("a.txt", 42, "h1", "h2")]);
        var m = plan.Actions.ShouldHaveSingleItem().ShouldBeOfType<LocalMove>();
        (m.Path, m.NewPath).ShouldBe(("a.txt", "docs/b.txt"));
        m.Expected.Inode.ShouldBe(42UL);
        m.Remote.Version.ShouldBe(7);
        m.AsDownload().ShouldBe(new Download("docs/b.txt", m.Remote, null));
        m.AsDelete().ShouldBe(new LocalDelete("a.txt", m.Expected));
    }

    [Fact]
    public void Each_deleted_file_serves_one_renamed_copy_and_the_others_download()
    {
        var plan = Make([File("b", 7, "h1"), File("c", 8, "h1")], [File("a", 3, "h1")], [Local("a", 42, "h1")]);
        plan.Actions.OfType<LocalMove>().ShouldHaveSingleItem().Path.ShouldBe("a");
        plan.Actions.OfType<Download>().ShouldHaveSingleItem().Expected.ShouldBeNull();
        plan.Actions.OfType<LocalDelete>().ShouldBeEmpty();
    }

    [Fact]
    public void A_remote_rename_onto_different_content_or_over_an_existing_file_is_no_local_move()
    {
        // other content under the new name: a download and a delete
        var other = Make([File("b", 7, "h2")], [File("a", 3, "h1")], [Local("a", 42, "h1")]);
        other.Actions.ShouldNotContain(a => a is LocalMove);
        other.Actions.OfType<Download>().ShouldHaveSingleItem().Path.ShouldBe("b");
        other.Actions.OfType<LocalDelete>().ShouldHaveSingleItem().Path.ShouldBe("a");

        // the new name replaces a file the folder holds: the download must check it, so it stays a download
        var over = Make([File("b", 7, "h1")], [File("a", 3, "h1"), File("b", 2, "h9")], [Local("a", 42, "h1"), Local("b", 43, "h9")]);
        over.Actions.ShouldNotContain(a => a is LocalMove);
        over.Actions.OfType<Download>().ShouldHaveSingleItem().Expected.ShouldNotBeNull();
    }
}
