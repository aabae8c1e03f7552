using TinySync.Client.Engine;
using TinySync.Client.FileSystem;

namespace TinySync.EndToEnd.Tests;

/// <summary>Issue 13, reproduction 8 and the mid-sync replacements: folders durable first, swaps survived.</summary>
public sealed class FolderDurabilityTests
{
    [Fact]
    public async Task New_folders_moves_and_conflict_copies_are_durable_in_their_parents_before_anything_inside_them()
    {
        await using var c = await Cluster.StartAsync();
        c.A.Write("moved/src.txt", "moving content");
        c.A.Write("both.txt", "base");
        await c.SyncAllAsync();

        c.A.Write("new/deep/f.txt", "f");
        Directory.CreateDirectory(c.A.PathOf("empty/folder"));
        Directory.CreateDirectory(c.A.PathOf("other"));
        File.Move(c.A.PathOf("moved/src.txt"), c.A.PathOf("other/dst.txt"));
        c.A.Write("both.txt", "from A");
        await c.A.SyncConvergedAsync();
        c.B.Write("both.txt", "from B"); // concurrent: B keeps its version as a conflict copy

        var recording = new FaultyFileSystem(RealFileSystem.Instance);
        c.B.FileSystem = recording;
        await c.B.SyncConvergedAsync();
        c.B.Read("other/dst.txt").ShouldBe("moving content");
        c.B.Read("new/deep/f.txt").ShouldBe("f");
        Directory.Exists(c.B.PathOf("empty/folder")).ShouldBeTrue();
        Directory.GetFiles(c.B.Folder, "both (conflict*").ShouldHaveSingleItem();

        var events = recording.Events.ToList();
        var mkdirs = events.Where(e => e.StartsWith("mkdir ", StringComparison.Ordinal)).Select(e => e["mkdir ".Length..]).ToList();
        mkdirs.ShouldContain(c.B.PathOf("new"));
        mkdirs.ShouldContain(c.B.PathOf("empty/folder"));
        mkdirs.ShouldContain(c.B.PathOf("other"));
        foreach (var dir in mkdirs)
        {
            // the new folder's own name is flushed into its parent before anything lands in it
            var made = events.IndexOf("mkdir " + dir);
            var flushed = events.FindIndex(made, e => e == "flushdir " + Path.GetDirectoryName(dir));
            flushed.ShouldBeGreaterThan(made, dir);
            var firstInside = events.FindIndex(made + 1, e => !e.StartsWith("flushdir ", StringComparison.Ordinal) && e.Contains(dir + "/", StringComparison.Ordinal));
            if (firstInside >= 0) flushed.ShouldBeLessThan(firstInside, dir);
        }
        var renames = events.Select((e, i) => (e, i)).Where(x => x.e.StartsWith("rename ", StringComparison.Ordinal)).ToList();
        renames.ShouldContain(x => x.e.Contains("both (conflict", StringComparison.Ordinal));
        renames.ShouldContain(x => x.e == "rename " + c.B.PathOf("other/dst.txt"));
        foreach (var (e, i) in renames)
        {
            events.Skip(i + 1).ShouldContain("flushdir " + Path.GetDirectoryName(e["rename ".Length..]), e);
        }
    }

    [Fact]
    public async Task A_folder_that_cannot_be_made_durable_is_not_recorded_and_the_next_sync_settles_it_without_conflicts()
    {
        await using var c = await Cluster.StartAsync();
        c.A.Write("fresh/inner/f.txt", "f");
        await c.A.SyncConvergedAsync();
        c.B.FileSystem = new FaultyFileSystem(RealFileSystem.Instance) { FlushDirectoryFails = true };
        LinkResult failed;
        using (var engine = c.B.Engine()) failed = await engine.SyncAsync(maxRounds: 1);
        failed.Converged.ShouldBeFalse();
        c.B.Messages.ShouldContain(m => m.Contains("cannot create the folder", StringComparison.Ordinal) && m.Contains("directory fsync", StringComparison.Ordinal));
        c.B.FileSystem = RealFileSystem.Instance;
        await c.SyncAllAsync();
        c.ShouldAllMatch();
        (c.A.Stats.Conflicts + c.B.Stats.Conflicts).ShouldBe(0);
    }

    [Theory]
    [InlineData("symlink")]
    [InlineData("file")]
    public async Task A_folder_replaced_mid_sync_is_survived_and_nothing_is_written_through_it_or_lost(string replacement)
    {
        await using var c = await Cluster.StartAsync();
        using var outside = new TempDir("tinysync-e2e-outside");
        using var aside = new TempDir("tinysync-e2e-aside");
        c.A.Write("D/a.txt", "a");
        await c.SyncAllAsync();
        c.B.Write("D/new.txt", "from B");
        c.B.Write("D/new2.txt", "also from B");
        await c.B.SyncConvergedAsync();

        // A's sync has scanned and planned the downloads into D; as the chunks are fetched, the user swaps D
        var swapped = 0;
        c.A.Handler = new OnChunkFetch(() =>
        {
            if (Interlocked.Exchange(ref swapped, 1) == 1) return;
            Directory.Move(c.A.PathOf("D"), Path.Combine(aside.Path, "D"));
            if (replacement == "symlink") Directory.CreateSymbolicLink(c.A.PathOf("D"), outside.Path);
            else File.WriteAllText(c.A.PathOf("D"), "the user's file");
        });
        var before = Directory.EnumerateFileSystemEntries(outside.Path, "*", SearchOption.AllDirectories).Order().ToList();
        LinkResult result;
        using (var engine = c.A.Engine()) result = await engine.SyncAsync(maxRounds: 1); // the round the swap happened in
        swapped.ShouldBe(1);
        result.Converged.ShouldBeFalse();
        Directory.EnumerateFileSystemEntries(outside.Path, "*", SearchOption.AllDirectories).Order().ToList().ShouldBe(before); // nothing written through D
        if (replacement == "file") c.A.Read("D").ShouldBe("the user's file");
        else File.ResolveLinkTarget(c.A.PathOf("D"), false).ShouldNotBeNull();

        // B's files are still on the server and on B, whatever A's next syncs do with the replacement
        c.A.Handler = null;
        await c.A.SyncAsync();
        await c.A.SyncAsync();
        await c.B.SyncAsync();
        var bFiles = Directory.EnumerateFiles(c.B.Folder, "*", SearchOption.AllDirectories).Select(File.ReadAllText).ToList();
        bFiles.ShouldContain("from B");
        bFiles.ShouldContain("also from B");
        if (replacement == "file")
        {
            var aFiles = Directory.EnumerateFiles(c.A.Folder, "*", SearchOption.AllDirectories).Select(File.ReadAllText).ToList();
            aFiles.ShouldContain("the user's file");
        }
    }

    sealed class OnChunkFetch(Action act) : DelegatingHandler(new SocketsHttpHandler())
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.RequestUri!.AbsolutePath.Contains("/chunks/", StringComparison.Ordinal) && request.Method == HttpMethod.Post
                && !request.RequestUri.AbsolutePath.EndsWith("/missing", StringComparison.Ordinal)) act();
            return base.SendAsync(request, cancellationToken);
        }
    }
}
