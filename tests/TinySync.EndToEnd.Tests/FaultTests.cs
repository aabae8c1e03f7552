using System.Net.Http.Json;
using TinySync.Client.Api;
using TinySync.Client.FileSystem;
using TinySync.Client.State;
using TinySync.Core.Contracts;
using TinySync.Core.Json;

namespace TinySync.EndToEnd.Tests;

public sealed class FaultTests
{
    [Fact]
    public async Task Disk_full_while_downloading_leaves_no_partial_file_and_retries_later()
    {
        await using var c = await Cluster.StartAsync();
        var data = new byte[2 * 1024 * 1024];
        Random.Shared.NextBytes(data);
        File.WriteAllBytes(c.A.PathOf("big.bin"), data);
        c.A.Write("old.txt", "v1");
        await c.SyncAllAsync();
        c.A.Write("old.txt", "v2 is longer than the disk allows");
        File.WriteAllBytes(c.A.PathOf("big2.bin"), data.Reverse().ToArray());
        await c.A.SyncConvergedAsync();

        var faulty = new FaultyFileSystem(RealFileSystem.Instance) { DiskFullAfterBytes = 10 };
        c.B.FileSystem = faulty;
        var r = await c.B.SyncAsync();
        r.Converged.ShouldBeFalse();
        c.B.Read("old.txt").ShouldBe("v1"); // old content intact
        c.B.Exists("big2.bin").ShouldBeFalse(); // nothing half-written is visible
        Directory.EnumerateFiles(c.B.Folder).Where(f => Path.GetFileName(f).StartsWith(".tinysync-tmp-", StringComparison.Ordinal)).ShouldBeEmpty();
        c.B.Messages.ShouldContain(m => m.Contains("disk is full", StringComparison.Ordinal));

        c.B.FileSystem = RealFileSystem.Instance;
        await c.B.SyncConvergedAsync();
        c.B.Read("old.txt").ShouldBe("v2 is longer than the disk allows");
        c.ShouldAllMatch();
    }

    [Fact]
    public async Task An_unreadable_file_is_skipped_with_a_warning_and_not_deleted_anywhere()
    {
        await using var c = await Cluster.StartAsync();
        c.A.Write("locked.txt", "v1");
        await c.SyncAllAsync();
        c.A.Write("locked.txt", "v2");
        c.A.Write("other.txt", "fine");
        var faulty = new FaultyFileSystem(RealFileSystem.Instance);
        faulty.Unreadable.Add("locked.txt");
        c.A.FileSystem = faulty;
        var r = await c.A.SyncAsync();
        r.Converged.ShouldBeFalse();
        c.A.Messages.ShouldContain(m => m.Contains("permission denied", StringComparison.Ordinal));
        await c.B.SyncConvergedAsync();
        c.B.Read("other.txt").ShouldBe("fine");
        c.B.Read("locked.txt").ShouldBe("v1"); // not deleted, not torn
        c.A.FileSystem = RealFileSystem.Instance;
        await c.SyncAllAsync();
        c.B.Read("locked.txt").ShouldBe("v2");
    }

    [Fact]
    public async Task A_file_modified_while_uploading_is_never_committed_torn()
    {
        await using var c = await Cluster.StartAsync();
        var data = new byte[3 * 1024 * 1024];
        Random.Shared.NextBytes(data);
        File.WriteAllBytes(c.A.PathOf("growing.bin"), data);
        var faulty = new FaultyFileSystem(RealFileSystem.Instance);
        var modified = 0;
        faulty.AfterOpenRead = path =>
        {
            // the second open is the upload's re-read: change the file right then
            if (path.EndsWith("growing.bin", StringComparison.Ordinal) && Interlocked.Increment(ref modified) == 2)
            {
                File.AppendAllText(path, "appended during upload");
            }
        };
        c.A.FileSystem = faulty;
        await c.A.SyncConvergedAsync();
        await c.B.SyncConvergedAsync();
        File.ReadAllBytes(c.B.PathOf("growing.bin")).ShouldBe(File.ReadAllBytes(c.A.PathOf("growing.bin")));
        modified.ShouldBeGreaterThanOrEqualTo(2);
    }

    [Fact]
    public async Task Server_restart_mid_sync_is_retried_and_converges()
    {
        await using var c = await Cluster.StartAsync();
        for (var i = 0; i < 50; i++) c.A.Write($"f{i}.txt", "content " + i);
        await c.Server.StopAsync();
        var ex = await Should.ThrowAsync<ServerUnavailableException>(() => c.A.SyncAsync(new RetryPolicy(2, TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(10))));
        ex.Message.ShouldContain("unreachable");
        ex.Message.ShouldContain("connection refused");
        // restart once the client has found the server gone and announced that it retries
        var retried = c.A.Retries;
        var sync = c.A.SyncAsync(new RetryPolicy(40, TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(200)));
        await c.A.WaitForRetriesAsync(retried + 1, sync, TimeSpan.FromSeconds(30));
        sync.IsCompleted.ShouldBeFalse("the sync ended before the server came back");
        await c.Server.StartAgainAsync();
        (await sync).Converged.ShouldBeTrue();
        await c.SyncAllAsync();
        c.ShouldAllMatch();
    }

    [Fact]
    public async Task A_revoked_device_gets_a_clear_message()
    {
        await using var c = await Cluster.StartAsync();
        c.A.Write("a.txt", "x");
        await c.SyncAllAsync();
        await c.Server.RevokeAsync(c.A.Identity.DeviceId);
        c.A.Write("b.txt", "y");
        var ex = await Should.ThrowAsync<DeviceRevokedException>(() => c.A.SyncAsync());
        ex.Message.ShouldBe("this device was revoked; run `tinysync register` or `tinysync login` again");
        c.A.Read("b.txt").ShouldBe("y");
    }

    [Fact]
    public async Task A_corrupted_index_is_rebuilt_without_losing_local_edits()
    {
        await using var c = await Cluster.StartAsync();
        c.A.Write("same.txt", "same");
        c.A.Write("edited.txt", "v1");
        await c.SyncAllAsync();
        c.B.Write("edited.txt", "v2 local edit on B");
        c.B.Write("new-on-b.txt", "new");
        var indexFile = Path.Combine(c.B.State.LinkStateDirectory(c.B.Link), "index.db");
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        File.WriteAllBytes(indexFile, System.Text.Encoding.ASCII.GetBytes(new string('x', 8192)));
        foreach (var extra in new[] { "-wal", "-shm" }) File.Delete(indexFile + extra);

        await c.B.SyncConvergedAsync();
        c.B.Messages.ShouldContain(m => m.Contains("corrupted", StringComparison.Ordinal));
        await c.SyncAllAsync();
        c.A.Read("new-on-b.txt").ShouldBe("new");
        // the edit survives: either as the file itself or as a conflict copy next to the server's version
        c.A.Snapshot().Keys.Where(k => k.StartsWith("edited", StringComparison.Ordinal)).Select(k => c.A.Read(k)).ShouldContain("v2 local edit on B");
        c.ShouldAllMatch();
    }

    [Fact]
    public async Task Linking_the_same_folder_twice_or_a_folder_inside_a_link_is_refused()
    {
        await using var c = await Cluster.StartAsync(1);
        var twice = Should.Throw<ClientException>(() => c.A.State.AddLink(c.Vault.VaultId, null, "default", c.A.Folder));
        twice.Code.ShouldBe("already_linked");
        Directory.CreateDirectory(c.A.PathOf("sub"));
        Should.Throw<ClientException>(() => c.A.State.AddLink(c.Vault.VaultId, null, "default", c.A.PathOf("sub"))).Code.ShouldBe("inside_link");
    }

    [Fact]
    public void A_state_directory_that_is_not_writable_is_reported_with_the_next_step()
    {
        using var dir = new TempDir();
        var file = dir.Sub("not-a-dir");
        File.WriteAllText(file, "");
        var ex = Should.Throw<ClientException>(() => new StateDirectory(Path.Combine(file, "home")).EnsureWritable());
        ex.Code.ShouldBe("state_not_writable");
        ex.Message.ShouldContain("--home");
    }

    [Fact]
    public async Task Names_the_server_rejects_are_kept_locally_and_not_retried_forever()
    {
        await using var c = await Cluster.StartAsync();
        c.A.Write("ok.txt", "ok");
        c.A.Write("bad\\name.txt", "backslash");
        var r = await c.A.SyncAsync();
        r.Converged.ShouldBeTrue(string.Join("; ", r.Pending));
        c.A.Messages.ShouldContain(m => m.Contains("not synced:", StringComparison.Ordinal));
        c.A.Exists("bad\\name.txt").ShouldBeTrue();
        await c.B.SyncConvergedAsync();
        c.B.Read("ok.txt").ShouldBe("ok");
    }

    [Fact]
    public async Task A_name_windows_cannot_hold_is_reported_once_kept_locally_and_never_sent_or_deleted()
    {
        await using var c = await Cluster.StartAsync();
        c.A.Write("ok.txt", "ok");
        c.A.Write("aux.txt", "a Windows device name");
        c.A.Write("photo\u202Egnp.exe", "a bidi override");
        var r = await c.A.SyncAsync();
        r.Converged.ShouldBeTrue();
        r.Rounds.ShouldBeGreaterThan(1, "ok.txt went up in one round, the next found nothing to do");
        c.A.Messages.Count(m => m.Contains("aux.txt not synced:", StringComparison.Ordinal)).ShouldBe(1, "once per name, not every round");
        c.A.Messages.Count(m => m.Contains("not synced:", StringComparison.Ordinal) && m.Contains("U+202E", StringComparison.Ordinal)).ShouldBe(1);
        (await c.A.SyncAsync()).Converged.ShouldBeTrue("still nothing to retry");
        c.A.Exists("aux.txt").ShouldBeTrue();
        c.A.Exists("photo\u202Egnp.exe").ShouldBeTrue();
        await c.B.SyncConvergedAsync();
        c.B.Read("ok.txt").ShouldBe("ok");
        c.B.Exists("aux.txt").ShouldBeFalse();
    }

    [Fact]
    public async Task A_file_the_server_refuses_by_policy_is_kept_locally_reported_and_sent_once_it_complies()
    {
        await using var c = await Cluster.StartAsync();
        // The client knows nothing of this limit: the refusal comes from the server's per-op policy check.
        using (var admin = c.Server.Admin())
        {
            var ns = c.Vault.Containers.Single(x => x.Name == "default").Namespace;
            (await admin.PutAsJsonAsync($"v1/vaults/{c.Vault.VaultId}/containers/default",
                new ContainerRequest(ns, new ContainerPolicy(MaxFileBytes: 16)), TinySyncJson.Options)).EnsureSuccessStatusCode();
        }
        c.A.Write("small.txt", "fits");
        c.A.Write("big.txt", new string('x', 17));
        var r = await c.A.SyncAsync();
        r.Converged.ShouldBeTrue(string.Join("; ", r.Pending));
        c.A.Messages.ShouldContain(m => m.Contains("the server refused big.txt", StringComparison.Ordinal) && m.Contains("kept locally", StringComparison.Ordinal));
        c.A.Read("big.txt").ShouldBe(new string('x', 17));

        // not retried while unchanged: a second cycle sends nothing and warns no more
        var committedBefore = c.A.Stats.OpsCommitted;
        var warningsBefore = c.A.Messages.Count(m => m.Contains("refused big.txt", StringComparison.Ordinal));
        (await c.A.SyncAsync()).Converged.ShouldBeTrue();
        c.A.Stats.OpsCommitted.ShouldBe(committedBefore);
        c.A.Messages.Count(m => m.Contains("refused big.txt", StringComparison.Ordinal)).ShouldBe(warningsBefore);

        await c.B.SyncConvergedAsync();
        c.B.Read("small.txt").ShouldBe("fits");
        c.B.Exists("big.txt").ShouldBeFalse();

        // once the file complies it is sent like any other edit
        c.A.Write("big.txt", "now it fits");
        await c.A.SyncConvergedAsync();
        await c.B.SyncConvergedAsync();
        c.B.Read("big.txt").ShouldBe("now it fits");
    }
}
