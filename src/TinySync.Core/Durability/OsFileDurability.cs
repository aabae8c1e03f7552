namespace TinySync.Core.Durability;

/// <summary>
/// The real <see cref="IFileDurability"/>: <c>sync_file_range</c> writeback hints on Linux, and barriers raised the
/// way <see cref="Barrier"/> says (decision 0015). With one <c>fsync</c> per file, a file is flushed through a fresh
/// handle: on Linux the flush covers every dirty page of the file whichever handle wrote it, and a write error nobody
/// has seen yet is reported to it. With <c>syncfs</c>, the descriptor is opened when the batch begins, so every write
/// error on the file system since then is reported to the batch's barriers (Linux 5.8 and later; earlier kernels
/// reported none, and <see cref="DurabilityBarrier.Auto"/> does not use it there). Directories are flushed with
/// <c>open(O_DIRECTORY)</c> + <c>fsync</c> on Unix; on Windows a rename is flushed with the file.
/// </summary>
public sealed class OsFileDurability : IFileDurability
{
    /// <summary>The default: <see cref="DurabilityBarrier.Auto"/>.</summary>
    public static readonly OsFileDurability Default = new();

    static readonly OsFileDurability FsyncTogether = new(DurabilityBarrier.FsyncTogether), SyncFs = new(DurabilityBarrier.SyncFs);

    /// <summary>A shared instance raising its barriers the way <paramref name="barrier"/> says.</summary>
    public static OsFileDurability For(DurabilityBarrier barrier) => barrier switch
    {
        DurabilityBarrier.FsyncTogether => FsyncTogether,
        DurabilityBarrier.SyncFs => SyncFs,
        _ => Default,
    };

    // Concurrent fsyncs let the file system's journal commit many files at once (group commit); more than this only
    // adds threads blocked in the same commit.
    const int Parallelism = 8;

    /// <summary>Barriers raised the way <paramref name="barrier"/> says.</summary>
    public OsFileDurability(DurabilityBarrier barrier = DurabilityBarrier.Auto) =>
        Barrier = barrier switch
        {
            DurabilityBarrier.Auto => SyncFsReportsErrors ? DurabilityBarrier.SyncFs : DurabilityBarrier.FsyncTogether,
            DurabilityBarrier.SyncFs when !OperatingSystem.IsLinux() => DurabilityBarrier.FsyncTogether,
            _ => barrier,
        };

    /// <summary>How this instance raises its barriers (<see cref="DurabilityBarrier.Auto"/> resolved).</summary>
    public DurabilityBarrier Barrier { get; }

    // syncfs(2) returns write-back errors since Linux 5.8; before, it always succeeded.
    static bool SyncFsReportsErrors => OperatingSystem.IsLinux() && Environment.OSVersion.Version >= new Version(5, 8);

    /// <inheritdoc />
    public IDurabilityBatch Begin(string directory) =>
        Barrier == DurabilityBarrier.SyncFs ? new SyncFsBatch(directory) : FsyncBatch.Instance;

    // Linux: start writeback of a written range without waiting for it. Elsewhere nothing (the barrier does it all).
    static void StartWriteback(FileStream file, long offset, long count)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (!OperatingSystem.IsLinux() || count <= 0) return;
        const uint SyncFileRangeWrite = 2; // SYNC_FILE_RANGE_WRITE: start writing, do not wait
        var handle = file.SafeFileHandle;
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            _ = DurabilityNative.SyncFileRange(handle.DangerousGetHandle().ToInt32(), offset, count, SyncFileRangeWrite); // a hint: failure is harmless
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    static void ForEach(IReadOnlyList<string> paths, CancellationToken ct, Action<string> flush)
    {
        ArgumentNullException.ThrowIfNull(paths);
        if (paths.Count == 1) flush(paths[0]);
        else if (paths.Count > 1) Parallel.ForEach(paths, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = ct }, flush);
    }

    static void FlushFile(string path)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        RandomAccess.FlushToDisk(handle);
    }

    static void FlushDirectory(string directory)
    {
        if (OperatingSystem.IsWindows()) return;
        var fd = DurabilityNative.OpenForFlush(directory, directory: true);
        try
        {
            DurabilityNative.FsyncOrThrow(fd, directory);
        }
        finally
        {
            _ = DurabilityNative.Close(fd);
        }
    }

    sealed class FsyncBatch : IDurabilityBatch
    {
        public static readonly FsyncBatch Instance = new();

        public void StartWriteback(FileStream file, long offset, long count) => OsFileDurability.StartWriteback(file, offset, count);

        public void FlushFiles(IReadOnlyList<string> files, CancellationToken ct) => ForEach(files, ct, FlushFile);

        public void Move(string from, string to) => File.Move(from, to, overwrite: true);

        public void FlushDirectories(IReadOnlyList<string> directories, CancellationToken ct) => ForEach(directories, ct, FlushDirectory);

        public void Dispose() { }
    }

    // One descriptor on the file system for the batch's life: syncfs reports through it every write error on the file
    // system since it was opened (the error sequence is sampled at open), however many barriers the batch raises.
    sealed class SyncFsBatch(string directory) : IDurabilityBatch
    {
        readonly int _fd = DurabilityNative.OpenForFlush(directory, directory: true);
        bool _closed;

        public void StartWriteback(FileStream file, long offset, long count) => OsFileDurability.StartWriteback(file, offset, count);

        public void FlushFiles(IReadOnlyList<string> files, CancellationToken ct)
        {
            ArgumentNullException.ThrowIfNull(files);
            if (files.Count > 0) Sync();
        }

        public void Move(string from, string to) => File.Move(from, to, overwrite: true);

        public void FlushDirectories(IReadOnlyList<string> directories, CancellationToken ct)
        {
            ArgumentNullException.ThrowIfNull(directories);
            if (directories.Count > 0) Sync();
        }

        void Sync()
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            DurabilityNative.SyncFsOrThrow(_fd, directory);
        }

        public void Dispose()
        {
            if (_closed) return;
            _closed = true;
            _ = DurabilityNative.Close(_fd);
        }
    }
}
