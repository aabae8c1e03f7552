using TinySync.Client.Engine;
using TinySync.Client.Index;
using TinySync.Client.Scanning;
using TinySync.Client.State;
using TinySync.Core.Contracts;
using static TinySync.Client.Tests.Engine.PlannerTests;

namespace TinySync.Client.Tests.Engine;

public sealed class SelectionTests
{
    static Plan Make(Selection selection, IEnumerable<ItemState> remote, IEnumerable<ItemState> @base, IEnumerable<LocalState> local, IEnumerable<LocalState>? previous = null) =>
        PlannerTests.Make(remote, @base, local, previous, selection);

    static Selection Only(params string[] p) => Selection.Create(SelectionMode.Only, p);

    static Selection Exclude(params string[] p) => Selection.Create(SelectionMode.Exclude, p);

    [Fact]
    public void Only_includes_the_selected_subtree_and_the_folders_leading_to_it_but_not_their_other_contents()
    {
        var s = Only("docs/reports");
        s.Includes("docs/reports").ShouldBeTrue();
        s.Includes("docs/reports/2026/q4.pdf").ShouldBeTrue();
        s.Includes("docs").ShouldBeTrue();
        s.IsOnlyAWayIn("docs").ShouldBeTrue();
        s.IsOnlyAWayIn("docs/reports").ShouldBeFalse();
        s.Includes("docs/other.txt").ShouldBeFalse();
        s.Includes("docs/reports-old").ShouldBeFalse();
        s.Includes("photos").ShouldBeFalse();
    }

    [Fact]
    public void Exclude_leaves_out_the_subtree_only()
    {
        var s = Exclude("photos");
        s.Includes("photos").ShouldBeFalse();
        s.Includes("photos/a.jpg").ShouldBeFalse();
        s.Includes("photos2/a.jpg").ShouldBeTrue();
        s.Includes("docs/photos").ShouldBeTrue();
        s.Includes("a.txt").ShouldBeTrue();
    }

    [Fact]
    public void Paths_match_by_key_like_the_server_so_a_name_in_another_case_is_the_same_folder()
    {
        Exclude("Photos").Includes("photos/a.jpg").ShouldBeFalse();
        Only("Docs").Includes("docs/a.txt").ShouldBeTrue();
    }

    [Fact]
    public void Everything_includes_every_path()
    {
        Selection.All.Includes("any/where.txt").ShouldBeTrue();
        Selection.All.IsAll.ShouldBeTrue();
    }

    [Fact]
    public void Create_drops_trailing_slashes_and_paths_under_another_listed_path()
    {
        var s = Only("docs/", "docs/reports", "./music", "DOCS");
        s.Paths.ShouldBe(["docs", "music"]);
        s.ToString().ShouldBe("only docs, music");
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("/abs")]
    [InlineData("a//b")]
    [InlineData("a\\b")]
    [InlineData("")]
    public void Create_refuses_what_is_not_a_vault_path_with_a_line_saying_what_to_give(string bad)
    {
        var e = Should.Throw<ClientException>(() => Exclude(bad));
        e.Code.ShouldBe("invalid_selection");
        e.Message.ShouldContain("relative to the linked folder");
    }

    [Fact]
    public void A_saved_selection_loads_back_and_everything_removes_the_file()
    {
        var dir = Directory.CreateTempSubdirectory("tinysync-sel-");
        Selection.Load(dir.FullName).IsAll.ShouldBeTrue();
        Exclude("photos", "video").Save(dir.FullName);
        var loaded = Selection.Load(dir.FullName);
        loaded.Mode.ShouldBe(SelectionMode.Exclude);
        loaded.Paths.ShouldBe(["photos", "video"]);
        Selection.All.Save(dir.FullName);
        System.IO.File.Exists(System.IO.Path.Combine(dir.FullName, Selection.FileName)).ShouldBeFalse();
    }

    [Fact]
    public void A_damaged_selection_file_is_an_error_never_read_as_everything()
    {
        var dir = Directory.CreateTempSubdirectory("tinysync-sel-");
        System.IO.File.WriteAllText(System.IO.Path.Combine(dir.FullName, Selection.FileName), "{\"mode\":\"only\",\"paths\":[\"../x\"]}");
        Should.Throw<ClientException>(() => Selection.Load(dir.FullName)).Message.ShouldContain("--all");
    }

    [Fact]
    public void A_remote_file_outside_the_selection_is_not_downloaded()
    {
        Make(Only("docs"), [Dir("docs", 1), File("docs/a", 2, "h1"), Dir("photos", 3), File("photos/p", 4, "h2")], [], [])
            .Actions.Select(a => a.Path).ShouldBe(["docs", "docs/a"], ignoreOrder: true);
    }

    [Fact]
    public void A_synced_file_that_the_selection_leaves_out_is_removed_locally_and_nothing_goes_to_the_server()
    {
        var plan = Make(Exclude("photos"), [Dir("photos", 3), File("photos/p", 4, "h2")], [Dir("photos", 3), File("photos/p", 4, "h2")],
            [LocalDir("photos", 1), Local("photos/p", 2, "h2")]);
        plan.Actions.ShouldAllBe(a => a is LocalDelete && ((LocalDelete)a).Unselected);
        plan.Actions.Select(a => a.Path).ShouldBe(["photos", "photos/p"], ignoreOrder: true);
    }

    [Fact]
    public void A_file_edited_here_outside_the_selection_is_kept_and_not_uploaded()
    {
        Make(Exclude("photos"), [Dir("photos", 3), File("photos/p", 4, "h2")], [Dir("photos", 3), File("photos/p", 4, "h2")],
            [LocalDir("photos", 1), Local("photos/p", 2, "edited")]).Actions.OfType<UploadPut>().ShouldBeEmpty();
        Make(Exclude("photos"), [Dir("photos", 3), File("photos/p", 4, "h2")], [Dir("photos", 3), File("photos/p", 4, "h2")],
            [LocalDir("photos", 1), Local("photos/p", 2, "edited")]).Actions.ShouldNotContain(a => a.Path == "photos/p");
    }

    [Fact]
    public void A_new_local_file_outside_the_selection_is_not_uploaded()
    {
        Make(Only("docs"), [Dir("docs", 1)], [Dir("docs", 1)], [LocalDir("docs", 1), Local("notes.txt", 5, "h9")]).IsEmpty.ShouldBeTrue();
    }

    [Fact]
    public void A_synced_item_gone_here_outside_the_selection_is_forgotten_and_never_deleted_on_the_server()
    {
        var plan = Make(Exclude("photos"), [Dir("photos", 3), File("photos/p", 4, "h2")], [Dir("photos", 3), File("photos/p", 4, "h2")], []);
        plan.Actions.ShouldAllBe(a => a is AdoptBase && ((AdoptBase)a).Remote == null);
        plan.Actions.Count.ShouldBe(2);
    }

    [Fact]
    public void A_folder_deleted_here_that_holds_unselected_items_on_the_server_is_made_again_not_deleted_there()
    {
        // only docs/reports: "docs" is just the way in; docs/other.txt lives on the server only
        var remote = new[] { Dir("docs", 1), Dir("docs/reports", 2), File("docs/reports/r", 3, "h1"), File("docs/other.txt", 4, "h2") };
        var @base = new[] { Dir("docs", 1), Dir("docs/reports", 2), File("docs/reports/r", 3, "h1") };
        var plan = Make(Only("docs/reports"), remote, @base, [], previous: [LocalDir("docs", 1), LocalDir("docs/reports", 2), Local("docs/reports/r", 3, "h1")]);
        plan.Actions.OfType<UploadDelete>().ShouldNotContain(d => d.Path == "docs");
        plan.Actions.OfType<LocalMkdir>().ShouldContain(m => m.Path == "docs");
    }

    [Fact]
    public void A_folder_holding_unselected_items_renamed_only_in_case_goes_up_as_one_move_and_no_conflict_copy()
    {
        // a case flip through a new folder (new inodes): the selection matches Docs/reports as docs/reports
        var remote = new[] { Dir("docs", 1), Dir("docs/reports", 2), File("docs/reports/r", 3, "h1"), File("docs/other.txt", 4, "h2") };
        var @base = new[] { Dir("docs", 1), Dir("docs/reports", 2), File("docs/reports/r", 3, "h1") };
        var plan = Make(Only("docs/reports"), remote, @base, [LocalDir("Docs", 11), LocalDir("Docs/reports", 12), Local("Docs/reports/r", 13, "h1")],
            previous: [LocalDir("docs", 1), LocalDir("docs/reports", 2), Local("docs/reports/r", 3, "h1")]);
        plan.Actions.OfType<UploadMove>().ShouldHaveSingleItem().ShouldSatisfyAllConditions(m => m.Path.ShouldBe("docs"), m => m.NewPath.ShouldBe("Docs"));
        plan.Actions.OfType<LocalMkdir>().ShouldBeEmpty();
        plan.Actions.OfType<ConflictRename>().ShouldBeEmpty();
    }

    [Fact]
    public void A_folder_holding_unselected_items_renamed_to_another_name_does_not_move_them_and_is_made_again()
    {
        var remote = new[] { Dir("docs", 1), Dir("docs/reports", 2), File("docs/reports/r", 3, "h1"), File("docs/other.txt", 4, "h2") };
        var @base = new[] { Dir("docs", 1), Dir("docs/reports", 2), File("docs/reports/r", 3, "h1") };
        var plan = Make(Only("docs/reports"), remote, @base, [LocalDir("papers", 1), LocalDir("papers/reports", 2), Local("papers/reports/r", 3, "h1")],
            previous: [LocalDir("docs", 1), LocalDir("docs/reports", 2), Local("docs/reports/r", 3, "h1")]);
        plan.Actions.OfType<UploadMove>().ShouldNotContain(m => m.Path == "docs");
        plan.Actions.OfType<LocalMkdir>().ShouldContain(m => m.Path == "docs");
    }

    [Fact]
    public void A_local_move_into_an_excluded_folder_is_not_sent_as_a_move()
    {
        var remote = new[] { File("a.txt", 1, "h1"), Dir("photos", 2) };
        var plan = Make(Exclude("photos"), remote, remote, [Local("photos/a.txt", 7, "h1")], previous: [Local("a.txt", 7, "h1")]);
        plan.Actions.OfType<UploadMove>().ShouldBeEmpty();
        plan.Actions.OfType<UploadPut>().ShouldBeEmpty();
    }

    [Fact]
    public void A_remote_move_out_of_the_selection_removes_the_synced_file_here_without_downloading_the_new_name()
    {
        var plan = Make(Exclude("archive"), [Dir("archive", 1), File("archive/a.txt", 5, "h1")], [File("a.txt", 2, "h1")],
            [Local("a.txt", 7, "h1")]);
        plan.Actions.ShouldHaveSingleItem().ShouldBeOfType<LocalDelete>().Path.ShouldBe("a.txt");
    }

    [Fact]
    public void A_remote_move_into_the_selection_downloads_the_file()
    {
        var plan = Make(Exclude("archive"), [File("a.txt", 5, "h1")], [], []);
        plan.Actions.ShouldHaveSingleItem().ShouldBeOfType<Download>().Path.ShouldBe("a.txt");
    }
}
