using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using TinySync.Core.Chunking;
using TinySync.Core.Contracts;
using TinySync.Core.Durability;
using TinySync.Server.Blobs;
using TinySync.Server.Tests.Support;

namespace TinySync.Server.Tests.Sync;

public sealed class ChunkStoreFlushTests_Sqlite() : ChunkStoreFlushTests(Backend.Sqlite);

public sealed class ChunkStoreFlushTests_Postgres() : ChunkStoreFlushTests(Backend.Postgres);

/// <summary>
/// The local chunk store acknowledges nothing whose directory entry it could not make durable (decision 0320). The
/// disk's failure is injected through <see cref="IFileDurability"/>, the one seam: a real disk cannot fail an fsync on
/// demand. On PostgreSQL the server runs with the local chunk store too, so the database side is checked on both.
/// </summary>
public abstract class ChunkStoreFlushTests(Backend backend)
{
    /// <summary>Flushes for real, records what it flushed, and fails while <see cref="Failing"/> is set (for <see cref="Only"/> if given).</summary>
    sealed class FlakyDisk : IFileDurability
    {
        public volatile bool Failing;
        public string? Only;
        public ConcurrentQueue<string> Flushed { get; } = new();

        public IDurabilityBatch Begin(string directory) => new Batch(this, OsFileDurability.Default.Begin(directory));

        sealed class Batch(FlakyDisk disk, IDurabilityBatch real) : IDurabilityBatch
        {
            public void StartWriteback(FileStream file, long offset, long count) => real.StartWriteback(file, offset, count);

            public void FlushFiles(IReadOnlyList<string> files, CancellationToken ct) => real.FlushFiles(files, ct);

            public void Move(string from, string to) => real.Move(from, to);

            public void FlushDirectories(IReadOnlyList<string> directories, CancellationToken ct)
            {
                foreach (var directory in directories)
                {
                    if (disk.Failing && (disk.Only is null || disk.Only == directory)) throw new IOException($"injected: fsync of {directory} failed (EIO)");
                }
                real.FlushDirectories(directories, ct);
                foreach (var directory in directories) disk.Flushed.Enqueue(directory);
            }

            public void Dispose() => real.Dispose();
        }
    }

    [Theory]
    [InlineData(true)]  // the chunk's own directory: the rename is not durable
    [InlineData(false)] // any directory: the new fan-out directories are not durable
    public async Task An_upload_whose_directory_cannot_be_flushed_is_refused_with_503_and_not_registered_until_the_disk_recovers(bool onlyTheChunksDirectory)
    {
        using var chunks = new TempDir("tinysync-chunks");
        var disk = new FlakyDisk();
        await using var server = await TestServer.StartAsync(backend, null, s => s.AddSingleton<IChunkStore>(new LocalChunkStore(chunks.Path, disk)));
        using var a = await SyncClient.CreateAsync(server);
        var data = Encoding.UTF8.GetBytes("must be durable before it is acknowledged " + Guid.NewGuid());
        var hash = ChunkHash.Compute(data);

        if (onlyTheChunksDirectory) disk.Only = Path.Combine(chunks.Path, hash[..2], hash[2..4]);
        disk.Failing = true;
        var refused = await a.PutChunkRawAsync(hash, data);
        await refused.ShouldBeProblemAsync(503, ProblemCodes.Unavailable);
        refused.Headers.RetryAfter.ShouldNotBeNull();
        (await a.MissingAsync(hash)).ShouldBe([hash], "a chunk that was not acknowledged is not registered");
        (await a.OneAsync(Ops.Put("f", 0, data.Length, hash))).Code.ShouldBe(RejectCodes.MissingChunks);

        // A retry is refused again while the disk fails (when the rename happened, the file is in place but its
        // directory is remembered as unflushed: it is not taken as stored).
        await (await a.PutChunkRawAsync(hash, data)).ShouldBeProblemAsync(503, ProblemCodes.Unavailable);

        disk.Failing = false;
        ((int)(await a.PutChunkRawAsync(hash, data)).StatusCode).ShouldBe(201);
        (await a.MissingAsync(hash)).ShouldBeEmpty();
        server.LogText.ShouldContain("injected: fsync");
    }

    [Fact]
    public async Task A_new_fan_out_directory_is_flushed_into_its_parent_before_the_first_chunk_in_it_is_acknowledged()
    {
        using var root = new TempDir("tinysync-chunks");
        var disk = new FlakyDisk();
        var store = new LocalChunkStore(root.Path, disk);
        var data = "first chunk of its directory"u8.ToArray();
        var hash = ChunkHash.Compute(data);
        await store.PutAsync(hash, data, default);

        var top = Path.Combine(root.Path, hash[..2]);
        var leaf = Path.Combine(top, hash[2..4]);
        disk.Flushed.ToList().ShouldBe([root.Path, top, leaf], "root (holds ab), ab (holds cd), then cd (holds the chunk), in that order");

        // A second store (a restart) whose first write in the directory cannot flush it refuses the chunk.
        var other = "second chunk"u8.ToArray();
        var otherHash = ChunkHash.Compute(other);
        var restarted = new LocalChunkStore(root.Path, new FlakyDisk { Failing = true });
        await Should.ThrowAsync<ChunkStoreUnavailableException>(() => restarted.PutAsync(otherHash, other, default));
        Should.Throw<ChunkStoreUnavailableException>(() => restarted.BeginUpload(ChunkHash.Compute("third"u8)), "no upload starts in a directory that cannot be flushed");
    }
}
