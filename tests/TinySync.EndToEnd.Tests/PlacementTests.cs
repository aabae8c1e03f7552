using TinySync.Client.FileSystem;
using TinySync.Client.Scanning;

namespace TinySync.EndToEnd.Tests;

/// <summary>A downloaded file is placed by one protocol, whatever its size (Engine/Downloads/FilePlacer.cs).</summary>
public sealed class PlacementTests
{
    [Theory]
    [InlineData(100)] // a small file: placed with its group
    [InlineData(3 * 1024 * 1024)] // a large file: fetched chunk by chunk, placed on its own
    public async Task A_file_edited_here_during_its_download_is_kept_and_reported_as_changed_even_when_the_temp_file_cannot_be_deleted(int size)
    {
        await using var c = await Cluster.StartAsync();
        c.A.Write("f.bin", new string('a', size));
        await c.SyncAllAsync();
        c.A.Write("f.bin", new string('b', size));
        await c.A.SyncConvergedAsync();

        const string edit = "edited on B while the new version was downloading";
        var edited = 0;
        c.B.FileSystem = new FaultyFileSystem(RealFileSystem.Instance)
        {
            AfterCreateNew = _ =>
            {
                if (Interlocked.Exchange(ref edited, 1) == 0) File.WriteAllText(c.B.PathOf("f.bin"), edit);
            },
            DeleteFails = p => Path.GetFileName(p).StartsWith(IgnoreRules.TempPrefix, StringComparison.Ordinal),
        };
        using (var engine = c.B.Engine())
        {
            var r = await engine.SyncAsync(maxRounds: 1);
            r.Converged.ShouldBeFalse();
            r.Pending.ShouldContain("f.bin changed locally during the download; will retry");
            r.Pending.ShouldNotContain(p => p.Contains("download failed", StringComparison.Ordinal));
        }
        edited.ShouldBe(1);
        c.B.Messages.ShouldNotContain(m => m.Contains("cannot download", StringComparison.Ordinal));
        c.B.Read("f.bin").ShouldBe(edit, "the local edit is never replaced");

        // the temp file that could not be deleted is removed by the next scan; both versions are kept
        c.B.FileSystem = RealFileSystem.Instance;
        await c.SyncAllAsync();
        c.ShouldAllMatch();
        c.B.Read("f.bin").ShouldBe(new string('b', size));
        c.B.Stats.Conflicts.ShouldBe(1);
        Directory.EnumerateFiles(c.B.Folder).Select(Path.GetFileName).ShouldNotContain(n => n!.StartsWith(IgnoreRules.TempPrefix, StringComparison.Ordinal));
        Directory.EnumerateFiles(c.B.Folder).Select(f => File.ReadAllText(f)).ShouldContain(edit);
    }
}
