using System.Runtime.InteropServices;
using TinySync.Core.Chunking;

namespace TinySync.Server.Blobs;

/// <summary>
/// Chunks as content-addressed files: <c>{root}/ab/cd/&lt;hash&gt;</c>. A write goes to a temporary file in the same
/// directory, is flushed to disk, renamed into place and the directory flushed, so a crash leaves either no chunk
/// or the whole chunk. A fan-out directory is flushed into its parent before the first chunk in it is acknowledged,
/// and a directory that cannot be opened or flushed fails the write (decision 0320). Every read is verified against
/// the hash.
/// </summary>
public sealed class LocalChunkStore : IChunkStore
{
    readonly string _root;
    readonly IDirectorySync _sync;

    // Directories whose flush failed after a chunk was renamed into them: a chunk found there is not taken as stored
    // until the directory flushes (else a retry would find the file and acknowledge what may not survive a crash).
    readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _unflushed = new(StringComparer.Ordinal);

    // First-level fan-out directories (ab) flushed into the root by this process.
    readonly bool[] _topKnown = new bool[256];

    // Fan-out directories (ab/cd: 65,536 of them) this process has created or found: a chunk write does not ask the
    // kernel to create its directory again. An initial upload of 10,000 small files spent about 5% of the server's
    // CPU in mkdir calls that found the directory there. A directory removed behind the server's back is created
    // again by the write that finds it missing (TempStream).
    readonly bool[] _fanOutKnown = new bool[65536];

    /// <summary>Stores chunks under <paramref name="root"/> (created if needed); <paramref name="sync"/> flushes directories (tests inject faults).</summary>
    public LocalChunkStore(string root, IDirectorySync? sync = null)
    {
        _root = Path.GetFullPath(root);
        _sync = sync ?? FsyncDirectorySync.Instance;
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
    public Task<bool> ExistsAsync(string hash, CancellationToken ct) => Task.FromResult(Stored(PathOf(hash)));

    // True when the chunk's file is there and its directory entry is known to be durable.
    bool Stored(string path)
    {
        if (!File.Exists(path)) return false;
        if (_unflushed.IsEmpty) return true;
        var dir = Path.GetDirectoryName(path)!;
        if (_unflushed.ContainsKey(dir)) FlushDirectory(dir); // throws again while the disk keeps failing
        return true;
    }

    // Flushes a directory a chunk was renamed into; on failure the chunk is not acknowledged, and is not trusted later
    // until the directory flushes.
    void FlushDirectory(string dir)
    {
        try
        {
            _sync.Flush(dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _unflushed[dir] = 0;
            throw new ChunkStoreUnavailableException($"the chunk store could not make a write durable: {e.Message}", e);
        }
        _unflushed.TryRemove(dir, out _);
    }

    /// <inheritdoc />
    public async Task PutAsync(string hash, ReadOnlyMemory<byte> content, CancellationToken ct)
    {
        var path = PathOf(hash);
        if (Stored(path)) return;
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
            FlushDirectory(dir);
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
        if (Stored(path)) return null;
        var dir = Path.GetDirectoryName(path)!;
        var tmp = Path.Combine(dir, $".{hash}.{Guid.NewGuid():N}.tmp");
        // No FileStream buffer: blocks are written as they are handed over, straight to the page cache.
        var file = TempStream(hash, tmp, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, BufferSize = 0 });
        return new Upload(this, file, tmp, path, dir);
    }

    // Bytes written before the kernel is asked to start writing them out: large enough to be one device write,
    // small enough that most of a 4 MiB chunk is on its way to the device before the body has fully arrived.
    const long WritebackBytes = 512 * 1024;

    sealed class Upload(LocalChunkStore store, FileStream file, string tmp, string path, string dir) : IChunkUpload
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
            store.FlushDirectory(dir);
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
            if (!seen.Add(hash) || Stored(path)) continue;
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
            Parallel.ForEach(dirs, new ParallelOptions { MaxDegreeOfParallelism = FsyncParallelism, CancellationToken = ct }, FlushDirectory);
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
            MakeFanOut(slot, Path.GetDirectoryName(tmp)!);
            Volatile.Write(ref _fanOutKnown[slot], true);
        }
        try
        {
            return new FileStream(tmp, options);
        }
        catch (DirectoryNotFoundException)
        {
            MakeFanOut(slot, Path.GetDirectoryName(tmp)!); // removed since: once more
            return new FileStream(tmp, options);
        }
    }

    // Creates ab/cd if needed and flushes each level into its parent, so no chunk is acknowledged in a directory whose
    // own entry a crash could lose. Done once per directory per process (also for ones an earlier process made: it may
    // have stopped before flushing them); a failure fails the write and is tried again by the next one.
    void MakeFanOut(int slot, string dir)
    {
        var top = Path.GetDirectoryName(dir)!;
        Directory.CreateDirectory(dir);
        if (!Volatile.Read(ref _topKnown[slot >> 8]))
        {
            FlushFanOut(_root);
            Volatile.Write(ref _topKnown[slot >> 8], true);
        }
        FlushFanOut(top);
    }

    void FlushFanOut(string parent)
    {
        try
        {
            _sync.Flush(parent);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ChunkStoreUnavailableException($"the chunk store could not make a new directory durable: {e.Message}", e);
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
        _sync.Flush(dir);
        _sync.Flush(Path.GetDirectoryName(path)!);
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

    static class Native
    {
        [DllImport("libc", EntryPoint = "sync_file_range")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        internal static extern int SyncFileRange(int fd, long offset, long count, uint flags);
    }
}
