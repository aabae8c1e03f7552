namespace TinySync.EndToEnd.Tests;

/// <summary>
/// Issue 13, reproductions 1, 3 and 5, with real processes: the server process, one <c>tinysync sync</c> process per
/// device and step, real folders with real symbolic links and modes.
/// </summary>
public sealed class RealFolderTests
{
    /// <summary>The server process and two devices on it, disposed together.</summary>
    sealed class Setup(ServerProcess server, Device a, Device b) : IAsyncDisposable
    {
        public Device A { get; } = a;
        public Device B { get; } = b;

        public async ValueTask DisposeAsync()
        {
            A.Dispose();
            B.Dispose();
            await server.DisposeAsync();
        }
    }

    static async Task<Setup> StartAsync()
    {
        var server = new ServerProcess();
        await server.StartAsync();
        var (vault, devices) = await server.SetUpAsync("devA", "devB");
        return new Setup(server, Device.For(server.Url, devices[0].Device, vault, "devA"), Device.For(server.Url, devices[1].Device, vault, "devB"));
    }

    static async Task<(int Code, string Out, string Err)> SyncAsync(Device d) => await CliProcess.RunAsync(d.Home, "sync");

    static async Task SyncOkAsync(Device d)
    {
        var (code, output, err) = await SyncAsync(d);
        code.ShouldBe(0, $"{d.Name}: {output} {err}");
    }

    static List<string> Listing(string dir) =>
        Directory.EnumerateFileSystemEntries(dir, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Select(e => e + (File.Exists(e) ? ":" + File.ReadAllText(e) : "/")).Order(StringComparer.Ordinal).ToList();

    [Fact]
    public async Task A_folder_replaced_by_a_symlink_to_outside_is_left_alone_and_the_other_devices_new_file_survives()
    {
        await using var setup = await StartAsync();
        var (a, b) = (setup.A, setup.B);
        using var outside = new TempDir("tinysync-e2e-outside");
        File.WriteAllText(Path.Combine(outside.Path, "mine.txt"), "not synced");
        a.Write("D/a.txt", "a");
        await SyncOkAsync(a);
        await SyncOkAsync(b);
        b.Read("D/a.txt").ShouldBe("a");

        Directory.Delete(a.PathOf("D"), recursive: true);
        Directory.CreateSymbolicLink(a.PathOf("D"), outside.Path);
        var before = Listing(outside.Path);
        b.Write("D/new.txt", "from B");
        await SyncOkAsync(b);

        var (code, _, err) = await SyncAsync(a);
        code.ShouldBe(3, err); // not converged: the link is reported and waits for the user
        err.ShouldContain("is now a symbolic link");
        Listing(outside.Path).ShouldBe(before); // nothing written through the link, nothing deleted behind it
        File.ResolveLinkTarget(a.PathOf("D"), returnFinalTarget: false)!.FullName.ShouldBe(outside.Path);

        await SyncOkAsync(b); // B's files are still on the server: nothing deleted them
        b.Read("D/a.txt").ShouldBe("a");
        b.Read("D/new.txt").ShouldBe("from B");

        // the user puts the real folder back: A gets B's files, nothing was lost anywhere
        File.Delete(a.PathOf("D"));
        Directory.CreateDirectory(a.PathOf("D"));
        File.WriteAllText(a.PathOf("D/a.txt"), "a");
        await SyncOkAsync(a);
        a.Read("D/new.txt").ShouldBe("from B");
        await SyncOkAsync(b);
        b.Read("D/new.txt").ShouldBe("from B");
        Listing(outside.Path).ShouldBe(before);
    }

    [Fact]
    public async Task Temp_cleanup_and_the_scan_follow_no_symlink_and_two_symlink_loops_do_not_hang_the_sync()
    {
        await using var setup = await StartAsync();
        var (a, b) = (setup.A, setup.B);
        using var outside = new TempDir("tinysync-e2e-outside");
        File.WriteAllText(Path.Combine(outside.Path, ".tinysync-tmp-notours"), "someone else's file");
        File.WriteAllText(Path.Combine(outside.Path, "data.txt"), "outside data");
        Directory.CreateSymbolicLink(a.PathOf("out"), outside.Path);
        File.CreateSymbolicLink(a.PathOf("data-link.txt"), Path.Combine(outside.Path, "data.txt"));
        a.Write("sub/x.txt", "x");
        Directory.CreateSymbolicLink(a.PathOf("sub/l1"), "..");
        Directory.CreateSymbolicLink(a.PathOf("sub/l2"), "..");
        a.Write(".tinysync-tmp-leftover1234", "an interrupted download's temp file");
        var before = Listing(outside.Path);

        var started = DateTime.UtcNow;
        var (code, _, err) = await SyncAsync(a);
        code.ShouldBe(0, err); // new links are skipped with a warning each, not waited for
        (DateTime.UtcNow - started).ShouldBeLessThan(TimeSpan.FromSeconds(60));
        err.ShouldContain("symlinks are not synced");
        Listing(outside.Path).ShouldBe(before); // the outside temp-named file is not ours: still there
        File.Exists(a.PathOf(".tinysync-tmp-leftover1234")).ShouldBeFalse(); // ours, inside the folder: cleaned
        Directory.Exists(a.PathOf("sub/l1")).ShouldBeTrue(); // the links themselves are left as they are

        await SyncOkAsync(b);
        b.Snapshot().Keys.ShouldBe(["sub", "sub/x.txt"]);
    }

    [Fact]
    public async Task Local_permission_bits_survive_remote_updates_and_a_conflict_copy_keeps_the_local_mode()
    {
        const UnixFileMode rw = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        const UnixFileMode rwxr_xr_x = rw | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        await using var setup = await StartAsync();
        var (a, b) = (setup.A, setup.B);
        a.Write("secret.txt", "v1");
        a.Write("script.sh", "#!/bin/sh\n");
        a.Write("notes.txt", "n1");
        a.Write("locked.txt", "l1");
        File.SetUnixFileMode(a.PathOf("script.sh"), rwxr_xr_x);
        await SyncOkAsync(a);
        await SyncOkAsync(b);
        File.SetUnixFileMode(a.PathOf("secret.txt"), rw);
        File.SetUnixFileMode(a.PathOf("notes.txt"), rw | UnixFileMode.GroupRead);
        File.SetUnixFileMode(a.PathOf("locked.txt"), UnixFileMode.None);
        await SyncOkAsync(a); // a mode change alone is local: nothing to send

        b.Write("secret.txt", "v2 from B");
        b.Write("locked.txt", "l2 from B");
        b.Write("notes.txt", "n2 from B");
        File.SetUnixFileMode(b.PathOf("script.sh"), rw | UnixFileMode.GroupRead | UnixFileMode.OtherRead); // chmod -x: synced state
        await SyncOkAsync(b);
        File.WriteAllText(a.PathOf("notes.txt"), "n2 from A"); // concurrent edit: a conflict on A

        await SyncAsync(a);
        await SyncOkAsync(a);
        a.Read("secret.txt").ShouldBe("v2 from B");
        File.GetUnixFileMode(a.PathOf("secret.txt")).ShouldBe(rw);
        File.GetUnixFileMode(a.PathOf("locked.txt")).ShouldBe(UnixFileMode.None);
        File.GetUnixFileMode(a.PathOf("script.sh")).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        a.Read("notes.txt").ShouldBe("n2 from B");
        var copy = Directory.GetFiles(a.Folder, "notes (conflict*").ShouldHaveSingleItem();
        File.ReadAllText(copy).ShouldBe("n2 from A");
        File.GetUnixFileMode(copy).ShouldBe(rw | UnixFileMode.GroupRead);
    }
}
