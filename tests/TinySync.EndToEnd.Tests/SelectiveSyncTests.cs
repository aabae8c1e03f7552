using System.Text.Json;

namespace TinySync.EndToEnd.Tests;

/// <summary>
/// Issue 15, selective sync (decisions 0453–0454): two devices through real `tinysync` processes and a real server;
/// B holds a part of the vault, and nothing B does not hold is ever deleted on the server because of it.
/// </summary>
public sealed class SelectiveSyncTests
{
    static async Task<string> CliAsync(string home, params string[] args)
    {
        var (code, output, err) = await CliProcess.RunAsync(home, args);
        code.ShouldBe(0, $"tinysync {string.Join(' ', args)}: {err}\n{output}");
        return output + err;
    }

    static void Write(string folder, string rel, string text)
    {
        var path = Path.Combine(folder, rel);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    static string[] Files(string folder) =>
        [.. Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/')).Order(StringComparer.Ordinal)];

    // a server and two devices on one vault, each with a linked folder: (home, folder) of anna, then of bert
    static async Task<(string HomeA, string A, string HomeB, string B)> TwoDevicesAsync(ServerProcess server, TempDir dir)
    {
        await server.StartAsync();
        var devices = await server.CliDevicesAsync(dir, "anna", "bert");
        return (devices[0].Home, devices[0].Folder, devices[1].Home, devices[1].Folder);
    }

    [Fact]
    public async Task A_device_holding_a_subset_gets_only_it_never_deletes_the_rest_on_the_server_and_refuses_to_narrow_over_an_unsynced_edit()
    {
        await using var server = new ServerProcess();
        using var dir = new TempDir();
        var (homeA, a, homeB, b) = await TwoDevicesAsync(server, dir);
        Write(a, "docs/plan.txt", "plan v1");
        Write(a, "photos/beach.jpg", "beach");
        Write(a, "top.txt", "top");
        await CliAsync(homeA, "sync");

        // B holds only docs: it gets docs and nothing else
        var said = await CliAsync(homeB, "select", b, "--only", "docs");
        said.ShouldContain($"{b}: only docs");
        Files(b).ShouldBe(["docs/plan.txt"]);
        (await CliAsync(homeB, "select", b)).ShouldContain($"{b}: only docs");

        // A writes inside and outside B's selection; B gets only what is inside
        Write(a, "docs/notes.txt", "notes");
        Write(a, "photos/hill.jpg", "hill");
        await CliAsync(homeA, "sync");
        await CliAsync(homeB, "sync");
        Files(b).ShouldBe(["docs/notes.txt", "docs/plan.txt"]);

        // B's own file under a path it does not select stays on B, is not uploaded, and B is told once
        Write(b, "photos/mine.txt", "mine");
        var synced = await CliAsync(homeB, "sync");
        synced.ShouldContain("photos is outside this folder's selection (only docs) and not synced; kept here, not uploaded");
        await CliAsync(homeA, "sync");
        Files(a).ShouldBe(["docs/notes.txt", "docs/plan.txt", "photos/beach.jpg", "photos/hill.jpg", "top.txt"]); // nothing of A's deleted
        Files(b).ShouldBe(["docs/notes.txt", "docs/plan.txt", "photos/mine.txt"]);

        var status = JsonDocument.Parse(await CliProcess.RunAsync(homeB, "status", "--json").ContinueWith(t => t.Result.Out)).RootElement;
        var selection = status.GetProperty("links")[0].GetProperty("selection");
        selection.GetProperty("mode").GetString().ShouldBe("only");
        selection.GetProperty("paths").EnumerateArray().Select(p => p.GetString()).ShouldBe(["docs"]);
        (await CliAsync(homeB, "status")).ShouldContain("select:  only docs");

        // widening: B gets the rest, and its own file goes up now that it is inside
        await CliAsync(homeB, "select", b, "--all");
        Files(b).ShouldBe(["docs/notes.txt", "docs/plan.txt", "photos/beach.jpg", "photos/hill.jpg", "photos/mine.txt", "top.txt"]);
        await CliAsync(homeA, "sync");
        File.ReadAllText(Path.Combine(a, "photos/mine.txt")).ShouldBe("mine");

        // narrowing over an unsynced edit is refused, and nothing changes
        Write(b, "docs/plan.txt", "plan v2, not synced yet");
        var (code, output, err) = await CliProcess.RunAsync(homeB, "select", b, "--exclude", "docs");
        code.ShouldBe(1, output);
        err.Trim().ShouldBe($"tinysync: cannot leave out {Path.Combine(b, "docs/plan.txt")}: it changed here since the last sync; run `tinysync sync` to upload it (or move it into the selection), then select again; nothing was changed");
        (await CliAsync(homeB, "select", b)).ShouldContain($"{b}: everything");
        File.ReadAllText(Path.Combine(b, "docs/plan.txt")).ShouldBe("plan v2, not synced yet");

        // narrowing elsewhere works: what B held under photos is removed here and stays on the server
        await CliAsync(homeB, "select", b, "--exclude", "photos");
        Files(b).ShouldBe(["docs/notes.txt", "docs/plan.txt", "top.txt"]);
        Directory.Exists(Path.Combine(b, "photos")).ShouldBeFalse();
        await CliAsync(homeA, "sync");
        Files(a).ShouldBe(["docs/notes.txt", "docs/plan.txt", "photos/beach.jpg", "photos/hill.jpg", "photos/mine.txt", "top.txt"]);
        File.ReadAllText(Path.Combine(a, "docs/plan.txt")).ShouldBe("plan v2, not synced yet"); // B's edit went up with its sync
    }

    [Fact]
    public async Task Moves_across_the_selection_boundary_remove_a_synced_file_that_left_and_download_one_that_came_in()
    {
        await using var server = new ServerProcess();
        using var dir = new TempDir();
        var (homeA, a, homeB, b) = await TwoDevicesAsync(server, dir);
        Write(a, "docs/out.txt", "leaving");
        Write(a, "docs/edited.txt", "edited on B");
        Write(a, "archive/in.txt", "arriving");
        await CliAsync(homeA, "sync");
        await CliAsync(homeB, "select", b, "--exclude", "archive");
        Files(b).ShouldBe(["docs/edited.txt", "docs/out.txt"]);

        File.Move(Path.Combine(a, "docs/out.txt"), Path.Combine(a, "archive/out.txt"));
        File.Move(Path.Combine(a, "docs/edited.txt"), Path.Combine(a, "archive/edited.txt"));
        File.Move(Path.Combine(a, "archive/in.txt"), Path.Combine(a, "docs/in.txt"));
        await CliAsync(homeA, "sync");
        Write(b, "docs/edited.txt", "B's edit, not synced"); // edited on B while A moved it out of B's selection
        await CliAsync(homeB, "sync");

        // moved out: removed here only because it was synced; the edited one is kept and goes up under its old name
        Files(b).ShouldBe(["docs/edited.txt", "docs/in.txt"]);
        File.ReadAllText(Path.Combine(b, "docs/edited.txt")).ShouldBe("B's edit, not synced");
        File.ReadAllText(Path.Combine(b, "docs/in.txt")).ShouldBe("arriving");
        await CliAsync(homeA, "sync");
        Files(a).ShouldBe(["archive/edited.txt", "archive/out.txt", "docs/edited.txt", "docs/in.txt"]);
        File.ReadAllText(Path.Combine(a, "docs/edited.txt")).ShouldBe("B's edit, not synced");
    }

    [Fact]
    public async Task A_running_daemon_applies_a_new_selection_when_select_wakes_it()
    {
        await using var server = new ServerProcess();
        using var dir = new TempDir();
        var (homeA, a, homeB, b) = await TwoDevicesAsync(server, dir);
        Write(a, "docs/plan.txt", "plan");
        Write(a, "photos/beach.jpg", "beach");
        await CliAsync(homeA, "sync");
        using var daemon = new CliRun(homeB, "daemon");
        await Eventually.TrueAsync(() => Task.FromResult(Files(b).Length == 2), "B's daemon to download both files", TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(100));

        (await CliAsync(homeB, "select", b, "--exclude", "photos")).ShouldContain($"the daemon (pid {daemon.Pid}) applies it now");
        await Eventually.TrueAsync(() => Task.FromResult(!Directory.Exists(Path.Combine(b, "photos"))), "B's daemon to remove photos", TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(100));
        Files(b).ShouldBe(["docs/plan.txt"]);
        await CliAsync(homeA, "sync");
        Files(a).ShouldBe(["docs/plan.txt", "photos/beach.jpg"]);
    }

    [Fact]
    public async Task Select_says_in_one_line_what_is_wrong_with_a_path_or_the_options_and_changes_nothing()
    {
        using var dir = new TempDir();
        var home = dir.Sub("home");
        var folder = dir.Sub("folder");
        Directory.CreateDirectory(folder);
        new TinySync.Client.State.StateDirectory(home).AddLink(Guid.NewGuid(), "team", "default", folder);

        var (code, output, err) = await CliProcess.RunAsync(home, "select", folder, "--only", "../elsewhere");
        code.ShouldBe(1, output);
        err.Trim().ShouldBe("tinysync: '../elsewhere' is not a vault path (the path has a '.' or '..' segment); give folders or files relative to the linked folder, e.g. docs/reports");

        (code, output, err) = await CliProcess.RunAsync(home, "select", folder, "--only", "docs", "--exclude", "video");
        code.ShouldBe(2, output);
        err.Trim().ShouldBe("tinysync: give one of --only, --exclude or --all");

        (code, output, err) = await CliProcess.RunAsync(home, "select", folder, "--exclude", "/somewhere/else");
        code.ShouldBe(1, output);
        err.Trim().ShouldBe($"tinysync: /somewhere/else is not inside {folder}; give paths in the vault (e.g. docs/reports) or inside the linked folder");

        (await CliAsync(home, "select", folder)).Trim().ShouldBe($"{folder}: everything");
    }
}
