using TinySync.Client.FileSystem;

namespace TinySync.EndToEnd.Tests;

/// <summary>Chunks travel in batches (decision 0408) and grouped downloads keep crash safety (decision 0409).</summary>
public sealed class BatchTransferTests
{
    static void WriteSmallFiles(Device d, int count, string dir = "many")
    {
        for (var i = 0; i < count; i++) d.Write($"{dir}/f{i:D3}.txt", $"small file {i} " + new string('x', i * 37));
    }

    [Fact]
    public async Task Small_files_travel_in_batch_requests_not_one_request_per_chunk()
    {
        await using var c = await Cluster.StartAsync();
        var upload = new RequestLog();
        var download = new RequestLog();
        c.A.Handler = upload;
        c.B.Handler = download;
        WriteSmallFiles(c.A, 150);
        await c.SyncAllAsync();

        c.ShouldAllMatch();
        upload["POST batch"].ShouldBeGreaterThan(0);
        upload["POST batch"].ShouldBeLessThan(10, "150 small chunks fit in a few batches");
        upload["PUT chunk"].ShouldBe(0);
        download["POST fetch"].ShouldBeGreaterThan(0);
        download["GET chunk"].ShouldBe(0);
        c.B.Stats.ChunksDownloaded.ShouldBe(150);
    }

    [Fact]
    public async Task A_client_falls_back_to_single_chunk_routes_when_the_server_has_no_batch_routes()
    {
        await using var c = await Cluster.StartAsync();
        var upload = new RequestLog { OldServer = true };
        var download = new RequestLog { OldServer = true };
        c.A.Handler = upload;
        c.B.Handler = download;
        WriteSmallFiles(c.A, 40);
        var big = new byte[3 * 1024 * 1024];
        Random.Shared.NextBytes(big);
        File.WriteAllBytes(c.A.PathOf("big.bin"), big);
        await c.SyncAllAsync();

        c.ShouldAllMatch();
        upload["POST batch"].ShouldBeInRange(1, 4, "asked once (or by the batches already in flight), then remembered for the client's lifetime");
        upload["PUT chunk"].ShouldBeGreaterThanOrEqualTo(41);
        download["POST fetch"].ShouldBeInRange(1, 4);
        download["GET chunk"].ShouldBeGreaterThanOrEqualTo(41);
    }

    [Fact]
    public async Task When_the_durability_barrier_fails_no_file_of_the_group_is_renamed_into_place()
    {
        await using var c = await Cluster.StartAsync();
        c.A.Write("keep.txt", "v1");
        await c.SyncAllAsync();
        c.A.Write("keep.txt", "v2");
        WriteSmallFiles(c.A, 20);
        await c.A.SyncConvergedAsync();

        var faulty = new FaultyFileSystem(RealFileSystem.Instance) { FlushFails = true };
        c.B.FileSystem = faulty;
        var r = await c.B.SyncAsync();
        r.Converged.ShouldBeFalse();
        faulty.Flushes.ShouldBeGreaterThan(0);
        c.B.Read("keep.txt").ShouldBe("v1", "the old file stays when the new one could not be made durable");
        Directory.EnumerateFiles(c.B.Folder, "*", SearchOption.AllDirectories).Select(Path.GetFileName)
            .ShouldBe(["keep.txt"], "no file that was not durable became visible, and no temp file is left");

        c.B.FileSystem = RealFileSystem.Instance;
        await c.B.SyncConvergedAsync();
        c.B.Read("keep.txt").ShouldBe("v2");
        c.ShouldAllMatch();
    }

    [Theory]
    [InlineData(20)] // small files: grouped downloads
    [InlineData(1)]
    public async Task Downloaded_files_renames_are_made_durable_before_the_index_records_them(int files)
    {
        await using var c = await Cluster.StartAsync();
        void Write(string round)
        {
            for (var i = 0; i < files; i++) c.A.Write($"d{i % 2}/f{i}.txt", $"{round} content {i}");
            if (files == 1) c.A.Write("big.bin", round + new string('b', 3 * 1024 * 1024)); // over the grouped-download size
        }
        Write("first");
        await c.A.SyncConvergedAsync();

        // Every rename into a folder is followed by an fsync of that folder.
        var recording = new FaultyFileSystem(RealFileSystem.Instance);
        c.B.FileSystem = recording;
        await c.B.SyncConvergedAsync();
        c.ShouldAllMatch();
        var events = recording.Events;
        var renames = events.Select((e, i) => (e, i)).Where(x => x.e.StartsWith("rename ", StringComparison.Ordinal)).ToList();
        renames.Count.ShouldBe(files + (files == 1 ? 1 : 0));
        foreach (var (e, i) in renames)
        {
            var dir = Path.GetDirectoryName(e["rename ".Length..])!;
            events.Skip(i + 1).ShouldContain("flushdir " + dir, $"after {e}");
        }

        // A directory fsync that fails is a warning, not a crash of the cycle; what it placed is settled later
        // against the server without conflict copies.
        Write("second");
        await c.A.SyncConvergedAsync();
        c.B.FileSystem = new FaultyFileSystem(RealFileSystem.Instance) { FlushDirectoryFails = true };
        await c.B.SyncAsync();
        c.B.Messages.ShouldContain(m => m.Contains("durable", StringComparison.Ordinal) && m.Contains("will retry", StringComparison.Ordinal));
        c.B.FileSystem = RealFileSystem.Instance;
        await c.B.SyncConvergedAsync();
        c.ShouldAllMatch();
        c.B.Stats.Conflicts.ShouldBe(0);
    }
}
