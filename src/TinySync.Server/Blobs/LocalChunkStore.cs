using System.Runtime.InteropServices;
using TinySync.Core.Chunking;

namespace TinySync.Server.Blobs;

/// <summary>
/// Chunks as content-addressed files: <c>{root}/ab/cd/&lt;hash&gt;</c>. A write goes to a temporary file in the same
/// directory, is flushed to disk, renamed into place and the directory flushed, so a crash leaves either no chunk
/// or the whole chunk. Every read is verified against the hash.
/// </summary>
public sealed class LocalChunkStore : IChunkStore
{
    readonly string _root;

    // Fan-out directories (ab/cd: 65,536 of them) this process has created or found: a chunk write does not ask the
    // kernel to create its directory again. An initial upload of 10,000 small files spent about 5% of the server's
    // CPU in mkdir calls that found the directory there. A directory removed behind the server's back is created
    // again by the write that finds it missing (TempStream).
    readonly bool[] _fanOutKnown = new bool[65536];

    /// <summary>Stores chunks under <paramref name="root"/> (created if needed).</summary>
    public LocalChunkStore(string root)
    {
        _root = Path.GetFullPath(root);
        Directory.CreateDirectory(_root);
    }

    /// <inheritdoc />
    public string Name => "local";

    /// <summary>The file of a chunk.</summary>
    public string PathOf(string hash)
    {
        if (!ChunkHash.IsValid(hash)) throw new ArgumentException("not a chunk hash", nameof(hash));
        return Path.Combine(_root, hash[..2], hash[2..4], hash);
    }

    /// <inheritdoc />
    public Task<bool> ExistsAsync(string hash, CancellationToken ct) => Task.FromResult(File.Exists(PathOf(hash)));

    /// <inheritdoc />
    public async Task PutAsync(string hash, ReadOnlyMemory<byte> content, CancellationToken ct)
    {
        var path = PathOf(hash);
        if (File.Exists(path)) return;
        var dir = Path.GetDirectoryName(path)!;
        var tmp = Path.Combine(dir, $".{hash}.{Guid.NewGuid():N}.tmp");
        try
        {
            await using (var f = TempStream(hash, tmp, new FileStreamOptions
            {
                Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.Asynchronous, PreallocationSize = content.Length,
            }))
            {
                await f.WriteAsync(content, ct).ConfigureAwait(false);
                f.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true); // same content whoever wins a race
            FsyncDirectory(dir);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// The same steps as <see cref="PutAsync"/>, spread over the receive: each block goes to the temporary file as it
    /// arrives, and the kernel is asked to start writing it to the device every <see cref="WritebackBytes"/>
    /// (<c>sync_file_range</c>, a hint: durability still comes from the fsync in
    /// <see cref="IChunkUpload.CompleteAsync"/>), so that fsync finds little left to write (decision 0312).
    /// </remarks>
    public IChunkUpload? BeginUpload(string hash)
    {
        var path = PathOf(hash);
        if (File.Exists(path)) return null;
        var dir = Path.GetDirectoryName(path)!;
        var tmp = Path.Combine(dir, $".{hash}.{Guid.NewGuid():N}.tmp");
        // No FileStream buffer: blocks are written as they are handed over, straight to the page cache.
        var file = TempStream(hash, tmp, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, BufferSize = 0 });
        return new Upload(file, tmp, path, dir);
    }

    // Bytes written before the kernel is asked to start writing them out: large enough to be one device write,
    // small enough that most of a 4 MiB chunk is on its way to the device before the body has fully arrived.
    const long WritebackBytes = 512 * 1024;

    sealed class Upload(FileStream file, string tmp, string path, string dir) : IChunkUpload
    {
        long _written;
        long _writebackFrom;
        bool _completed;
        bool _closed;

        public void Write(ReadOnlySpan<byte> block)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            file.Write(block);
            _written += block.Length;
            if (_written - _writebackFrom >= WritebackBytes)
            {
                StartWriteback(file, _writebackFrom, _written - _writebackFrom);
                _writebackFrom = _written;
            }
        }

        public Task CompleteAsync(CancellationToken ct)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            file.Flush(flushToDisk: true);
            file.Dispose();
            _closed = true;
            File.Move(tmp, path, overwrite: true); // same content whoever wins a race
            FsyncDirectory(dir);
            _completed = true;
            return Task.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            if (!_closed) file.Dispose();
            _closed = true;
            if (!_completed)
            {
                try { File.Delete(tmp); }
                catch (IOException) { } // a leftover temporary file is never read as a chunk
                catch (UnauthorizedAccessException) { }
            }
            return ValueTask.CompletedTask;
        }
    }

    // Linux: start writeback of a written range without waiting for it. Elsewhere nothing (the fsync does it all).
    static void StartWriteback(FileStream file, long offset, long count)
    {
        if (!OperatingSystem.IsLinux()) return;
        const uint SyncFileRangeWrite = 2; // SYNC_FILE_RANGE_WRITE
        _ = Native.SyncFileRange(file.SafeFileHandle.DangerousGetHandle().ToInt32(), offset, count, SyncFileRangeWrite);
    }

    /// <inheritdoc />
    /// <remarks>
    /// The same steps as <see cref="PutAsync"/>, grouped: every temp file is written, then all are fsynced (several at
    /// once, so the file system can commit them together), renamed into place, and each directory touched is fsynced
    /// once. A chunk becomes visible only after its bytes are durable; the call returns only after its rename is.
    /// </remarks>
    public async Task PutManyAsync(IReadOnlyList<(string Hash, ReadOnlyMemory<byte> Content)> chunks, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        var pending = new List<(string Hash, string Path, string Tmp, ReadOnlyMemory<byte> Content)>(chunks.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (hash, content) in chunks)
        {
            var path = PathOf(hash);
            if (!seen.Add(hash) || File.Exists(path)) continue;
            pending.Add((hash, path, Path.Combine(Path.GetDirectoryName(path)!, $".{hash}.{Guid.NewGuid():N}.tmp"), content));
        }
        if (pending.Count == 0) return;
        try
        {
            await Parallel.ForEachAsync(pending, new ParallelOptions { MaxDegreeOfParallelism = FsyncParallelism, CancellationToken = ct }, async (p, token) =>
            {
                await using var f = TempStream(p.Hash, p.Tmp, new FileStreamOptions
                {
                    Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.Asynchronous, PreallocationSize = p.Content.Length,
                });
                await f.WriteAsync(p.Content, token).ConfigureAwait(false);
                f.Flush(flushToDisk: true);
            }).ConfigureAwait(false);
            foreach (var p in pending) File.Move(p.Tmp, p.Path, overwrite: true); // same content whoever wins a race
            var dirs = pending.Select(p => Path.GetDirectoryName(p.Path)!).Distinct(StringComparer.Ordinal).ToList();
            Parallel.ForEach(dirs, new ParallelOptions { MaxDegreeOfParallelism = FsyncParallelism, CancellationToken = ct }, FsyncDirectory);
        }
        finally
        {
            foreach (var p in pending)
            {
                if (File.Exists(p.Tmp)) File.Delete(p.Tmp);
            }
        }
    }

    // Creates a chunk's temporary file, and its fan-out directory first unless this process knows it exists.
    FileStream TempStream(string hash, string tmp, FileStreamOptions options)
    {
        var slot = int.Parse(hash.AsSpan(0, 4), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture);
        if (!Volatile.Read(ref _fanOutKnown[slot]))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(tmp)!);
            Volatile.Write(ref _fanOutKnown[slot], true);
        }
        try
        {
            return new FileStream(tmp, options);
        }
        catch (DirectoryNotFoundException)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(tmp)!); // removed since: once more
            return new FileStream(tmp, options);
        }
    }

    // Concurrent fsyncs let the file system's journal commit several files at once (group commit).
    const int FsyncParallelism = 8;

    /// <inheritdoc />
    public async Task<byte[]?> GetAsync(string hash, CancellationToken ct)
    {
        byte[] data;
        try
        {
            data = await File.ReadAllBytesAsync(PathOf(hash), ct).ConfigureAwait(false);
        }
        catch (FileNotFoundException) { return null; }
        catch (DirectoryNotFoundException) { return null; }
        if (!ChunkHash.Matches(data, hash)) throw new ChunkCorruptedException(hash);
        return data;
    }

    /// <inheritdoc />
    public Task<Stream?> OpenReadAsync(string hash, CancellationToken ct)
    {
        try
        {
            // No FileStream buffer: the caller reads in large blocks of its own.
            return Task.FromResult<Stream?>(new FileStream(PathOf(hash), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, bufferSize: 0));
        }
        catch (FileNotFoundException) { return Task.FromResult<Stream?>(null); }
        catch (DirectoryNotFoundException) { return Task.FromResult<Stream?>(null); }
    }

    /// <inheritdoc />
    public Task DeleteAsync(string hash, CancellationToken ct)
    {
        File.Delete(PathOf(hash)); // absent is fine
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task QuarantineAsync(string hash, CancellationToken ct)
    {
        var path = PathOf(hash);
        var dir = Path.Combine(_root, "quarantine");
        Directory.CreateDirectory(dir);
        try
        {
            File.Move(path, Path.Combine(dir, $"{hash}.{DateTime.UtcNow:yyyyMMddTHHmmssfffZ}.{Guid.NewGuid():N}"));
        }
        catch (FileNotFoundException) { }
        catch (DirectoryNotFoundException) { }
        FsyncDirectory(Path.GetDirectoryName(path)!);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task ProbeWriteAsync(CancellationToken ct)
    {
        // a dot name: never a chunk path (chunks live in two-level hex directories)
        var probe = Path.Combine(_root, $".probe-{Guid.NewGuid():N}");
        try
        {
            await File.WriteAllBytesAsync(probe, [1], ct).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(probe);
        }
    }

    // The rename is durable only once the directory entry is on disk.
    static void FsyncDirectory(string dir)
    {
        if (OperatingSystem.IsWindows()) return;
        var fd = Native.Open(System.Text.Encoding.UTF8.GetBytes(dir + "\0"), 0 /* O_RDONLY */);
        if (fd < 0) return;
        try { _ = Native.Fsync(fd); }
        finally { _ = Native.Close(fd); }
    }

    static class Native
    {
        [DllImport("libc", EntryPoint = "open")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        internal static extern int Open(byte[] path, int flags);

        [DllImport("libc", EntryPoint = "fsync")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        internal static extern int Fsync(int fd);

        [DllImport("libc", EntryPoint = "sync_file_range")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        internal static extern int SyncFileRange(int fd, long offset, long count, uint flags);

        [DllImport("libc", EntryPoint = "close")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        internal static extern int Close(int fd);
    }
}
