namespace TinySync.Core.Durability;

/// <summary>
/// The real <see cref="IFileDurability"/>: <c>sync_file_range</c> writeback hints on Linux, and barriers raised the
/// way <see cref="Barrier"/> says (decision 0015). A file is flushed through a fresh handle opened for writing: on
/// Linux the flush covers every dirty page of the file whichever handle wrote it, and a writeback error nobody has
/// seen yet is reported to it. Directories are flushed with <c>open(O_DIRECTORY)</c> + <c>fsync</c> on Unix; on
/// Windows a rename is flushed with the file, and directories need nothing.
/// </summary>
public sealed class OsFileDurability(DurabilityBarrier barrier = DurabilityBarrier.FsyncTogether) : IFileDurability
{
    /// <summary>The default: one <c>fsync</c> per file issued together (decision 0015).</summary>
    public static readonly OsFileDurability Default = new();

    // Concurrent fsyncs let the file system's journal commit many files at once (group commit); more than this only
    // adds threads blocked in the same commit.
    const int Parallelism = 8;

    /// <summary>How this instance raises its barriers.</summary>
    public DurabilityBarrier Barrier { get; } = barrier;

    bool UsesSyncFs => Barrier == DurabilityBarrier.SyncFs && OperatingSystem.IsLinux();

    /// <inheritdoc />
    public void StartWriteback(FileStream file, long offset, long count)
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

    /// <inheritdoc />
    public void FlushFiles(IReadOnlyList<string> files, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(files);
        if (files.Count == 0) return;
        if (UsesSyncFs)
        {
            SyncFs(files[0], directory: false);
            return;
        }
        if (files.Count == 1)
        {
            FlushFile(files[0]);
            return;
        }
        Parallel.ForEach(files, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = ct }, FlushFile);
    }

    /// <inheritdoc />
    public void Move(string from, string to) => File.Move(from, to, overwrite: true);

    /// <inheritdoc />
    public void FlushDirectories(IReadOnlyList<string> directories, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(directories);
        if (directories.Count == 0 || OperatingSystem.IsWindows()) return;
        if (UsesSyncFs)
        {
            SyncFs(directories[0], directory: true);
            return;
        }
        if (directories.Count == 1)
        {
            FlushDirectory(directories[0]);
            return;
        }
        Parallel.ForEach(directories, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = ct }, FlushDirectory);
    }

    static void FlushFile(string path)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        RandomAccess.FlushToDisk(handle);
    }

    static void FlushDirectory(string directory)
    {
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

    static void SyncFs(string path, bool directory)
    {
        var fd = DurabilityNative.OpenForFlush(path, directory);
        try
        {
            DurabilityNative.SyncFsOrThrow(fd, path);
        }
        finally
        {
            _ = DurabilityNative.Close(fd);
        }
    }
}
