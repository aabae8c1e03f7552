namespace TinySync.EndToEnd.Tests;

public sealed class LargeTreeTests
{
    [Fact]
    public async Task A_1_MiB_insert_in_the_middle_of_a_200_MB_file_re_uploads_at_most_3_chunks()
    {
        await using var c = await Cluster.StartAsync();
        var size = 200 * 1024 * 1024;
        var data = new byte[size];
        new Random(42).NextBytes(data);
        await File.WriteAllBytesAsync(c.A.PathOf("huge.bin"), data);
        await c.A.SyncConvergedAsync();
        var before = c.A.Stats.ChunksUploaded;

        var insert = new byte[1024 * 1024];
        new Random(7).NextBytes(insert);
        await using (var f = File.Create(c.A.PathOf("huge.bin")))
        {
            await f.WriteAsync(data.AsMemory(0, size / 2));
            await f.WriteAsync(insert);
            await f.WriteAsync(data.AsMemory(size / 2));
        }
        await c.A.SyncConvergedAsync();
        (c.A.Stats.ChunksUploaded - before).ShouldBeLessThanOrEqualTo(3);

        await c.B.SyncConvergedAsync();
        new FileInfo(c.B.PathOf("huge.bin")).Length.ShouldBe(size + insert.Length);
    }

    [Fact]
    public async Task Ten_thousand_small_files_sync_both_ways()
    {
        await using var c = await Cluster.StartAsync();
        for (var d = 0; d < 100; d++)
        {
            Directory.CreateDirectory(c.A.PathOf($"d{d:000}"));
            for (var f = 0; f < 100; f++) File.WriteAllText(c.A.PathOf($"d{d:000}/f{f:000}.txt"), $"file {d}/{f}");
        }
        await c.A.SyncConvergedAsync();
        await c.B.SyncConvergedAsync();
        c.B.Read("d099/f099.txt").ShouldBe("file 99/99");
        Directory.EnumerateFiles(c.B.Folder, "*", SearchOption.AllDirectories).Count().ShouldBe(10_000);
        // an unchanged tree rescans without hashing anything
        var hashed = c.A.Stats.FilesHashed;
        await c.A.SyncConvergedAsync();
        c.A.Stats.FilesHashed.ShouldBe(hashed);
    }
}
