using TinySync.Client.Engine;

namespace TinySync.EndToEnd.Tests;

public sealed class TwoDeviceSyncTests
{
    [Fact]
    public async Task Files_and_directories_created_on_one_device_appear_on_the_other()
    {
        await using var c = await Cluster.StartAsync();
        c.A.Write("hello.txt", "hello");
        c.A.Write("docs/deep/a.md", "# a");
        Directory.CreateDirectory(c.A.PathOf("empty"));
        await c.SyncAllAsync();
        c.B.Read("hello.txt").ShouldBe("hello");
        c.B.Read("docs/deep/a.md").ShouldBe("# a");
        Directory.Exists(c.B.PathOf("empty")).ShouldBeTrue();
        c.ShouldAllMatch();
    }

    [Fact]
    public async Task Modify_delete_and_rename_propagate_both_ways()
    {
        await using var c = await Cluster.StartAsync();
        c.A.Write("a.txt", "one");
        c.A.Write("dir/b.txt", "two");
        c.A.Write("dir/sub/c.txt", "three");
        c.A.Write("gone.txt", "bye");
        await c.SyncAllAsync();

        c.B.Write("a.txt", "one, edited on B");
        File.Delete(c.B.PathOf("gone.txt"));
        Directory.Move(c.B.PathOf("dir"), c.B.PathOf("renamed"));
        await c.SyncAllAsync();

        c.A.Read("a.txt").ShouldBe("one, edited on B");
        c.A.Exists("gone.txt").ShouldBeFalse();
        c.A.Exists("dir").ShouldBeFalse();
        c.A.Read("renamed/sub/c.txt").ShouldBe("three");
        c.B.Stats.ChunksUploaded.ShouldBe(1); // only the a.txt edit: the directory rename is a move
        c.ShouldAllMatch();
    }

    [Fact]
    public async Task Concurrent_edit_keeps_both_copies_named_after_the_device()
    {
        await using var c = await Cluster.StartAsync(3);
        c.A.Write("notes.txt", "base");
        await c.SyncAllAsync();
        c.A.Write("notes.txt", "from A");
        c.B.Write("notes.txt", "from B");
        await c.A.SyncConvergedAsync();
        await c.B.SyncConvergedAsync();
        await c.SyncAllAsync();

        c.A.Read("notes.txt").ShouldBe("from A");
        var copies = c.A.Snapshot().Keys.Where(k => k.StartsWith("notes (conflict from devB ", StringComparison.Ordinal) && k.EndsWith(").txt", StringComparison.Ordinal)).ToList();
        copies.Count.ShouldBe(1);
        c.A.Read(copies[0]).ShouldBe("from B");
        c.ShouldAllMatch();
    }

    [Fact]
    public async Task An_edit_beats_a_concurrent_delete()
    {
        await using var c = await Cluster.StartAsync();
        c.A.Write("keep.txt", "v1");
        c.A.Write("restore.txt", "v1");
        await c.SyncAllAsync();
        // keep.txt: A edits, B deletes (B syncs first). restore.txt: A deletes, B edits (B syncs first).
        c.A.Write("keep.txt", "v2 from A");
        File.Delete(c.B.PathOf("keep.txt"));
        File.Delete(c.A.PathOf("restore.txt"));
        c.B.Write("restore.txt", "v2 from B");
        await c.B.SyncConvergedAsync();
        await c.A.SyncConvergedAsync();
        await c.SyncAllAsync();
        c.A.Read("keep.txt").ShouldBe("v2 from A");
        c.A.Read("restore.txt").ShouldBe("v2 from B");
        c.ShouldAllMatch();
    }

    [Fact]
    public async Task A_case_clash_keeps_both_files()
    {
        await using var c = await Cluster.StartAsync();
        c.A.Write("README", "upper");
        c.B.Write("readme", "lower");
        await c.A.SyncConvergedAsync();
        await c.B.SyncConvergedAsync();
        await c.SyncAllAsync();
        c.B.Read("README").ShouldBe("upper");
        c.B.Exists("readme").ShouldBeFalse();
        c.B.Snapshot().Keys.Count(k => k.StartsWith("readme (conflict from devB", StringComparison.Ordinal)).ShouldBe(1);
        c.ShouldAllMatch();
    }

    [Fact]
    public async Task Executable_bit_and_empty_directories_sync()
    {
        await using var c = await Cluster.StartAsync();
        c.A.Write("run.sh", "#!/bin/sh\necho hi\n");
        File.SetUnixFileMode(c.A.PathOf("run.sh"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.CreateDirectory(c.A.PathOf("a/b/c"));
        await c.SyncAllAsync();
        (File.GetUnixFileMode(c.B.PathOf("run.sh")) & UnixFileMode.UserExecute).ShouldNotBe((UnixFileMode)0);
        Directory.Exists(c.B.PathOf("a/b/c")).ShouldBeTrue();
    }

    [Fact]
    public async Task A_renamed_file_is_sent_as_a_move_without_re_upload()
    {
        await using var c = await Cluster.StartAsync();
        var big = new byte[3 * 1024 * 1024];
        Random.Shared.NextBytes(big);
        File.WriteAllBytes(c.A.PathOf("big.bin"), big);
        await c.SyncAllAsync();
        var uploaded = c.A.Stats.ChunksUploaded;
        var downloaded = c.B.Stats.ChunksDownloaded;
        File.Move(c.A.PathOf("big.bin"), c.A.PathOf("moved.bin"));
        await c.SyncAllAsync();
        c.A.Stats.ChunksUploaded.ShouldBe(uploaded);
        c.B.Stats.ChunksDownloaded.ShouldBe(downloaded);
        File.ReadAllBytes(c.B.PathOf("moved.bin")).ShouldBe(big);
        c.B.Exists("big.bin").ShouldBeFalse();
    }

    [Fact]
    public async Task Ignored_files_and_symlinks_stay_local()
    {
        await using var c = await Cluster.StartAsync();
        c.A.Write(".tinysyncignore", "*.log\nbuild/\n");
        c.A.Write("app.log", "noise");
        c.A.Write("build/out.o", "bin");
        c.A.Write("src/main.c", "int main;");
        File.CreateSymbolicLink(c.A.PathOf("link"), c.A.PathOf("src/main.c"));
        await c.SyncAllAsync();
        c.B.Exists("app.log").ShouldBeFalse();
        c.B.Exists("build").ShouldBeFalse();
        c.B.Exists("link").ShouldBeFalse();
        c.B.Read("src/main.c").ShouldBe("int main;");
        c.A.Messages.ShouldContain(m => m.Contains("symbolic link", StringComparison.Ordinal));
    }
}
