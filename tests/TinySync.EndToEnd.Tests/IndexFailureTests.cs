using TinySync.Client.Engine;
using TinySync.Client.State;

namespace TinySync.EndToEnd.Tests;

/// <summary>Issue 13, reproduction 6: a full disk under the state directory is not corruption (decision 0715).</summary>
public sealed class IndexFailureTests
{
    [Fact]
    public async Task A_full_disk_under_the_state_directory_is_reported_as_such_keeps_the_index_and_makes_no_conflict_copy()
    {
        await using var server = await TestServer.StartAsync();
        var vault = await server.CreateVaultAsync("full-disk");
        using var dir = new TempDir();
        using var disk = SmallDisk.Mount(dir.Sub("disk"), 1);
        var reg = await server.RegisterAsync("devA");
        await server.GrantAsync(reg.DeviceId, vault.VaultId);
        var state = new StateDirectory(Path.Combine(disk.Path, "home"));
        state.SaveIdentity(new ClientIdentity { Server = server.Url, DeviceId = reg.DeviceId, Token = reg.Token, DisplayName = "devA" });
        var folderA = dir.Sub("A");
        Directory.CreateDirectory(folderA);
        var link = state.AddLink(vault.VaultId, null, "default", folderA);
        using var b = await Device.CreateAsync(server, vault.VaultId, "devB");

        File.WriteAllText(Path.Combine(folderA, "notes.txt"), "v1");
        (await CliProcess.RunAsync(state.Root, "sync")).Code.ShouldBe(0);
        await b.SyncConvergedAsync();
        b.Write("notes.txt", "v2 from B");
        await b.SyncConvergedAsync();

        disk.Fill();
        var (code, _, err) = await CliProcess.RunAsync(state.Root, "sync");
        code.ShouldBe(3, err);
        err.Trim().Split('\n').ShouldHaveSingleItem().ShouldStartWith($"tinysync: the disk holding {state.LinkStateDirectory(link)} is full");
        var indexDir = state.LinkStateDirectory(link);
        File.Exists(Path.Combine(indexDir, "index.db")).ShouldBeTrue();
        Directory.EnumerateFiles(indexDir, "index.db.corrupt-*").ShouldBeEmpty();

        disk.Free();
        (code, _, err) = await CliProcess.RunAsync(state.Root, "sync");
        code.ShouldBe(0, err);
        File.ReadAllText(Path.Combine(folderA, "notes.txt")).ShouldBe("v2 from B");
        Directory.EnumerateFileSystemEntries(folderA).Where(p => ConflictNames.IsConflictCopy(Path.GetFileName(p))).ShouldBeEmpty();
        Directory.EnumerateFiles(indexDir, "index.db.corrupt-*").ShouldBeEmpty();
    }
}
