using System.Text;
using TinySync.Client.Engine;
using TinySync.Client.Engine.Downloads;
using TinySync.Client.FileSystem;
using TinySync.Client.Index;
using TinySync.Client.State;
using TinySync.Core.Chunking;
using TinySync.Core.Contracts;
using TinySync.Core.Durability;

namespace TinySync.Client.Tests.Engine;

/// <summary>
/// Decision 0443: a placement batch of downloaded files, on the real disk and a real index, through a file-system
/// decorator that writes every step down in order and can fail the data barrier. Nothing may be renamed before a barrier
/// made it durable, nor recorded before the barrier over its folder's entries.
/// </summary>
public sealed class PlacementOrderTests : IDisposable
{
    readonly string _root = Directory.CreateTempSubdirectory("tinysync-placement-").FullName;
    readonly string _state = Directory.CreateTempSubdirectory("tinysync-placement-index-").FullName;

    public void Dispose()
    {
        Directory.Delete(_root, recursive: true);
        Directory.Delete(_state, recursive: true);
    }

    /// <summary>The real disk with its steps written down; before each barrier, what the index holds is written down too.</summary>
    sealed class RecordingDisk(DurabilityBarrier barrier, Func<string> indexHolds) : IFileSystem
    {
        readonly IFileSystem _real = RealFileSystem.Instance;
        readonly OsFileDurability _durability = new(barrier);
        public List<string> Steps { get; } = [];
        public bool FailFiles { get; set; }

        public IDurabilityBatch BeginDurability(string directory, DurabilityBarrier asked) => new Batch(this, _durability.Begin(directory)); // the theory's barrier

        sealed class Batch(RecordingDisk disk, IDurabilityBatch real) : IDurabilityBatch
        {
            public void StartWriteback(FileStream file, long offset, long count) => real.StartWriteback(file, offset, count);

            public void FlushFiles(IReadOnlyList<string> files, CancellationToken ct)
            {
                disk.Add($"index before data barrier: {disk.IndexHolds()}");
                if (disk.FailFiles) throw new IOException("injected: the data barrier failed (EIO)");
                real.FlushFiles(files, ct);
                foreach (var f in files) disk.Add("durable " + f);
            }

            public void Move(string from, string to) => throw new InvalidOperationException("the engine renames through its folder");

            public void FlushDirectories(IReadOnlyList<string> directories, CancellationToken ct)
            {
                disk.Add($"index before directory barrier: {disk.IndexHolds()}");
                real.FlushDirectories(directories, ct);
                foreach (var d in directories) disk.Add("durable dir " + d);
            }

            public void Dispose() => real.Dispose();
        }

        string IndexHolds() => indexHolds();

        public void Add(string step)
        {
            lock (Steps) Steps.Add(step);
        }

        public void Rename(string from, string to, bool overwrite)
        {
            _real.Rename(from, to, overwrite);
            Add($"rename {from} -> {to}");
        }

        public FileStat Stat(string path) => _real.Stat(path);
        public IEnumerable<string> List(string directory) => _real.List(directory);
        public Stream OpenRead(string path) => _real.OpenRead(path);
        /// <summary>The first temp file's close fails as a full disk fails the flush of its last buffered bytes.</summary>
        public bool FailFirstClose { get; set; }

        /// <summary>Deleting the first temp file throws what no I/O error handler expects (a dying process).</summary>
        public bool FailFirstDelete { get; set; }

        public List<ClosingStream> Created { get; } = [];

        public Stream CreateNew(string path)
        {
            var s = new ClosingStream(_real.CreateNew(path), failClose: FailFirstClose && Created.Count == 0, path);
            Created.Add(s);
            return s;
        }

        public void DeleteFile(string path)
        {
            if (FailFirstDelete && path == Created[0].Path) throw new InvalidOperationException("injected: the process is dying");
            _real.DeleteFile(path);
        }
        public void Flush(Stream stream) => _real.Flush(stream);
        public void FlushDirectory(string directory) => _real.FlushDirectory(directory);
        public void CreateDirectory(string path) => _real.CreateDirectory(path);
        public bool DeleteEmptyDirectory(string path) => _real.DeleteEmptyDirectory(path);
        public void SetExecutable(string path, bool executable) => _real.SetExecutable(path, executable);
        public void SetMode(string path, UnixFileMode mode) => _real.SetMode(path, mode);
        public void SetMtime(string path, DateTimeOffset mtime) => _real.SetMtime(path, mtime);
    }

    /// <summary>A temp file's stream that remembers whether it was closed, and can fail its close.</summary>
    sealed class ClosingStream(Stream inner, bool failClose, string path) : Stream
    {
        public string Path => path;
        public bool Closed { get; private set; }
        public override bool CanRead => false;
        public override bool CanSeek => inner.CanSeek;
        public override bool CanWrite => true;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => inner.Position = value; }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
        public override void SetLength(long value) => inner.SetLength(value);
        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

        public override async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync();
            Closed = true;
            if (failClose) throw new IOException("injected: No space left on device", 28);
        }
    }

    sealed class Recorder(RecordingDisk disk) : ISyncObserver
    {
        public void Message(MessageLevel level, string text) => disk.Add("message " + text);
        public void Progress(string phase, long done, long total) { }
        public void Done(SyncEvent e) => disk.Add("recorded " + e.Path);
    }

    // Three downloads into two folders: one replaces a file as scanned, two are new.
    static readonly string[] Paths = ["a/one.txt", "a/two.txt", "b/three.txt"];

    async Task<(RecordingDisk Disk, LinkIndex Index, PendingList Pending)> PlaceAsync(DurabilityBarrier barrier, bool failBarrier,
        Action<RecordingDisk>? setUp = null, bool discardInstead = false)
    {
        Directory.CreateDirectory(Path.Combine(_root, "a"));
        File.WriteAllText(Path.Combine(_root, "a/one.txt"), "old one");
        var index = LinkIndex.Open(_state);
        RecordingDisk? disk = null;
        disk = new RecordingDisk(barrier, () => string.Join(',', index.LoadBase().Keys.Concat(index.LoadLocal().Keys).Order(StringComparer.Ordinal)))
        {
            FailFiles = failBarrier,
        };
        setUp?.Invoke(disk);
        var pending = new PendingList();
        var link = new Link { LinkId = Guid.NewGuid(), VaultId = Guid.NewGuid(), Directory = _root };
        var cx = new LinkContext(link, null!, new ContainedFolder(_root, disk), index, new Recorder(disk), new SyncStats(), pending);
        var st = RealFileSystem.Instance.Stat(Path.Combine(_root, "a/one.txt"));
        var scanned = new LocalState { Path = "a/one.txt", Kind = ItemKind.File, Size = st.Size, MtimeNs = st.MtimeNs, Inode = st.Inode };

        var placer = new FilePlacer(cx);
        using var batch = placer.TryBegin([])!;
        var files = new List<TempFile>();
        foreach (var path in Paths)
        {
            var bytes = Encoding.UTF8.GetBytes("new " + path);
            var hash = ChunkHash.Compute(bytes);
            var remote = new ItemState { Path = path, Kind = ItemKind.File, Version = 7, Size = bytes.Length, Chunks = [hash] };
            var f = placer.Create(batch, new Download(path, remote, path == "a/one.txt" ? scanned : null));
            await f.WriteAsync(hash, bytes, CancellationToken.None);
            files.Add(f);
        }
        if (discardInstead) await placer.DiscardAsync(files); // as a download group failing mid-write does
        else await placer.PlaceAsync(batch, files, null, CancellationToken.None);
        return (disk, index, pending);
    }

    [Theory]
    [InlineData(DurabilityBarrier.SyncFs)]
    [InlineData(DurabilityBarrier.FsyncTogether)]
    public async Task Every_file_is_durable_before_its_rename_and_every_rename_before_its_record(DurabilityBarrier barrier)
    {
        var (disk, index, _) = await PlaceAsync(barrier, failBarrier: false);
        using var _ = index;
        var steps = disk.Steps;

        steps.ShouldContain("index before data barrier: ");
        steps.ShouldContain("index before directory barrier: ", "nothing is recorded before the renames are durable");
        foreach (var path in Paths)
        {
            var target = Path.Combine(_root, path);
            var rename = steps.FindIndex(s => s.StartsWith("rename ", StringComparison.Ordinal) && s.EndsWith(" -> " + target, StringComparison.Ordinal));
            rename.ShouldBeGreaterThan(-1, path);
            var temp = steps[rename]["rename ".Length..steps[rename].IndexOf(" -> ", StringComparison.Ordinal)];
            steps.IndexOf("durable " + temp).ShouldBeInRange(0, rename - 1, $"{path}'s temp file is durable before its rename");
            var dirFlush = steps.IndexOf("durable dir " + Path.GetDirectoryName(target));
            dirFlush.ShouldBeGreaterThan(rename, $"{path}'s folder is flushed after its rename");
            steps.IndexOf("recorded " + path).ShouldBeGreaterThan(dirFlush, $"{path} is recorded after its folder's entries are durable");
            File.ReadAllText(target).ShouldBe("new " + path);
        }
        steps.Count(s => s.StartsWith("index before data barrier", StringComparison.Ordinal)).ShouldBe(1, "one data barrier for the batch");
        steps.Count(s => s.StartsWith("index before directory barrier", StringComparison.Ordinal)).ShouldBe(1, "one directory barrier for the batch");
        index.LoadBase().Keys.Order(StringComparer.Ordinal).ShouldBe(Paths.Order(StringComparer.Ordinal));
        index.LoadPlacing().ShouldBeEmpty();
    }

    [Theory]
    [InlineData(DurabilityBarrier.SyncFs)]
    [InlineData(DurabilityBarrier.FsyncTogether)]
    public async Task A_failing_data_barrier_records_nothing_replaces_no_target_and_leaves_no_temp_file(DurabilityBarrier barrier)
    {
        var (disk, index, pending) = await PlaceAsync(barrier, failBarrier: true);
        using var _ = index;

        NothingWasPlaced(disk, index, pending);
        index.LoadLocal().ShouldBeEmpty();
        index.LoadPlacing().ShouldBeEmpty();
    }

    // Nothing renamed, recorded or left behind: the old target as it was, no temp file, every download pending.
    void NothingWasPlaced(RecordingDisk disk, LinkIndex index, PendingList pending)
    {
        disk.Steps.ShouldNotContain(s => s.StartsWith("rename ", StringComparison.Ordinal) || s.StartsWith("recorded ", StringComparison.Ordinal));
        index.LoadBase().ShouldBeEmpty();
        File.ReadAllText(Path.Combine(_root, "a/one.txt")).ShouldBe("old one");
        Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(_root, f).Replace('\\', '/'))
            .ShouldBe(["a/one.txt"], "no new file appeared and no temp file is left");
        pending.ToList().Count.ShouldBe(Paths.Length, "each download stays pending");
    }

    [Fact]
    public async Task A_temp_file_whose_close_meets_a_full_disk_fails_the_batch_and_leaves_no_temp_file_open()
    {
        var (disk, index, pending) = await PlaceAsync(DurabilityBarrier.FsyncTogether, failBarrier: false, d => d.FailFirstClose = true);
        using var _ = index;

        disk.Created.Count.ShouldBe(Paths.Length);
        disk.Created.ShouldAllBe(s => s.Closed, "every temp file is closed");
        disk.Steps.ShouldContain(s => s.Contains("the disk is full", StringComparison.Ordinal), "reported as a full disk");
        NothingWasPlaced(disk, index, pending);
    }

    [Fact]
    public async Task Discarding_temp_files_closes_every_one_even_when_the_first_delete_throws()
    {
        var failed = await Should.ThrowAsync<InvalidOperationException>(() =>
            PlaceAsync(DurabilityBarrier.FsyncTogether, failBarrier: false, d => d.FailFirstDelete = true, discardInstead: true));

        failed.Message.ShouldContain("dying");
        Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories).Count().ShouldBe(1 + Paths.Length, "the temp files stay (the next scan removes them)");
        foreach (var f in Directory.EnumerateFiles(_root, ".tinysync-tmp-*", SearchOption.AllDirectories))
        {
            using var open = new FileStream(f, FileMode.Open, FileAccess.ReadWrite, FileShare.None); // no handle of the engine holds it
        }
    }
}
