namespace TinySync.EndToEnd.Tests;

/// <summary>Issue 13, reproduction 4: case-only renames through the real CLI and server process (decision 0714).</summary>
public sealed class CaseRenameTests
{
    [Fact]
    public async Task Case_only_renames_by_mv_and_by_checkout_style_replacement_reach_the_other_device_without_conflict_copies()
    {
        await using var server = new ServerProcess();
        await server.StartAsync();
        using var dir = new TempDir();
        var (homeA, a, homeB, b) = await TwoDevicesAsync(server, dir);
        File.WriteAllText(Path.Combine(a, "Readme.md"), "read me");
        Directory.CreateDirectory(Path.Combine(a, "Docs"));
        File.WriteAllText(Path.Combine(a, "Docs", "x.txt"), "inside");
        File.WriteAllText(Path.Combine(a, "NuGet.config"), "<configuration />");
        await SyncAsync(homeA, homeB);

        var inode = Inode(Path.Combine(a, "Readme.md"));
        File.Move(Path.Combine(a, "Readme.md"), Path.Combine(a, "README.md")); // mv: the inode stays
        Directory.Move(Path.Combine(a, "Docs"), Path.Combine(a, "DOCS"));
        File.WriteAllText(Path.Combine(a, "nuget.config"), "<configuration><packageSources /></configuration>"); // git checkout: new name, new bytes
        File.Delete(Path.Combine(a, "NuGet.config")); // ... then the old name unlinked, both before the next scan
        await SyncAsync(homeA, homeB);

        string[] expected = ["DOCS", "DOCS/x.txt", "README.md", "nuget.config"];
        foreach (var folder in new[] { a, b })
        {
            Checkout.Snapshot(folder).Keys.ToArray().ShouldBe(expected, folder);
            Checkout.ConflictCopies(folder).ShouldBeEmpty();
        }
        File.ReadAllText(Path.Combine(b, "nuget.config")).ShouldBe("<configuration><packageSources /></configuration>");
        File.ReadAllText(Path.Combine(b, "DOCS", "x.txt")).ShouldBe("inside");
        Inode(Path.Combine(a, "README.md")).ShouldBe(inode); // sent as a move: A's file was never replaced
    }

    [Fact]
    public async Task A_case_only_rename_made_in_the_same_sync_as_a_conflict_copy_still_goes_up_as_one_move()
    {
        await using var server = new ServerProcess();
        await server.StartAsync();
        using var dir = new TempDir();
        var (homeA, a, homeB, b) = await TwoDevicesAsync(server, dir);
        File.WriteAllText(Path.Combine(a, "notes.txt"), "v1");
        File.WriteAllText(Path.Combine(a, "b.txt"), "bee");
        await SyncAsync(homeA, homeB);

        File.WriteAllText(Path.Combine(b, "notes.txt"), "B's edit");
        await SyncAsync(homeB);
        File.WriteAllText(Path.Combine(a, "notes.txt"), "A's edit"); // concurrent with B's: a real conflict, made in a round of its own
        File.Move(Path.Combine(a, "b.txt"), Path.Combine(a, "B.txt"));
        var (code, stdout, stderr) = await CliProcess.RunAsync(homeA, "sync", "--verbose");
        code.ShouldBe(0, stderr);
        var said = stdout + stderr;
        said.ShouldContain("moved b.txt to B.txt on the server", Case.Sensitive);
        said.ShouldNotContain("deleted b.txt on the server", Case.Sensitive);
        await SyncAsync(homeB);

        foreach (var folder in new[] { a, b })
        {
            Checkout.Snapshot(folder).Keys.Where(k => !k.Contains("conflict", StringComparison.Ordinal)).ToArray().ShouldBe(["B.txt", "notes.txt"], folder);
            Checkout.ConflictCopies(folder).Count().ShouldBe(1, folder);
        }
    }

    static async Task<(string HomeA, string A, string HomeB, string B)> TwoDevicesAsync(ServerProcess server, TempDir dir)
    {
        var devices = await server.CliDevicesAsync(dir, "devA", "devB");
        return (devices[0].Home, devices[0].Folder, devices[1].Home, devices[1].Folder);
    }

    static async Task SyncAsync(params string[] homes)
    {
        foreach (var home in homes)
        {
            var (code, _, err) = await CliProcess.RunAsync(home, "sync");
            code.ShouldBe(0, err);
        }
    }

    static ulong Inode(string path) => TinySync.Client.FileSystem.RealFileSystem.Instance.Stat(path).Inode;
}
