using TinySync.Core.Chunking;
using TinySync.Core.Durability;

namespace TinySync.Server.Blobs;

/// <summary>
/// Chunks as content-addressed files: <c>{root}/ab/cd/&lt;hash&gt;</c>. A write goes to a temporary file in the same
/// directory, is made durable, renamed into place and the directory flushed, so a crash leaves either no chunk or the
/// whole chunk. A batch does each step for all its chunks before the next, behind one barrier per step (decision
/// 0015). A fan-out directory is flushed into its parent before the first chunk in it is acknowledged, and a
/// directory that cannot be opened or flushed fails the write (decision 0320). Every read is verified against the
/// hash. Every flush and rename goes through <see cref="IFileDurability"/>, the seam tests use to record the order or
/// to inject a failing disk.
/// </summary>
public sealed class LocalChunkStore : IChunkStore
{
    readonly string _root;
    readonly IFileDurability _durability;

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

    /// <summary>Stores chunks under <paramref name="root"/> (created if needed); <paramref name="durability"/> flushes and renames (tests record or inject faults).</summary>
    public LocalChunkStore(string root, IFileDurability? durability = null)
    {
        _root = Path.GetFullPath(root);
        _durability = durability ?? OsFileDurability.Default;
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
        if (_unflushed.ContainsKey(dir)) FlushDirectoriesNow([dir]); // throws again while the disk keeps failing
        return true;
    }

    void FlushDirectoriesNow(IReadOnlyList<string> dirs)
    {
        using var batch = _durability.Begin(_root);
        FlushDirectories(batch, dirs);
    }

    // Flushes directories chunks were renamed into; on failure no chunk of them is acknowledged, and none is trusted
    // later until its directory flushes.
    void FlushDirectories(IDurabilityBatch batch, IReadOnlyList<string> dirs)
    {
        try
        {
            batch.FlushDirectories(dirs, CancellationToken.None); // not cancelled half-way: the renames are done
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            foreach (var dir in dirs) _unflushed[dir] = 0;
            throw new ChunkStoreUnavailableException($"the chunk store could not make a write durable: {e.Message}", e);
        }
        foreach (var dir in dirs) _unflushed.TryRemove(dir, out _);
    }

    /// <inheritdoc />
    public Task PutAsync(string hash, ReadOnlyMemory<byte> content, CancellationToken ct) => PutManyAsync([(hash, content)], ct);

    /// <inheritdoc />
    /// <remarks>
    /// The same steps as <see cref="PutManyAsync"/>, spread over the receive: each block goes to the temporary file as
    /// it arrives, and the kernel is asked to start writing it to the device every <see cref="WritebackBytes"/>, so
    /// the flush in <see cref="IChunkUpload.CompleteAsync"/> finds little left to write (decision 0312).
    /// </remarks>
    public IChunkUpload? BeginUpload(string hash)
    {
        var path = PathOf(hash);
        if (Stored(path)) return null;
        var dir = Path.GetDirectoryName(path)!;
        var tmp = Path.Combine(dir, $".{hash}.{Guid.NewGuid():N}.tmp");
        // No FileStream buffer: blocks are written as they are handed over, straight to the page cache.
        var batch = _durability.Begin(_root);
        try
        {
            var file = TempStream(hash, tmp, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, BufferSize = 0 });
            return new Upload(this, batch, file, tmp, path, dir);
        }
        catch
        {
            batch.Dispose();
            throw;
        }
    }

    // Bytes written before the kernel is asked to start writing them out: large enough to be one device write,
    // small enough that most of a 4 MiB chunk is on its way to the device before the body has fully arrived.
    const long WritebackBytes = 512 * 1024;

    sealed class Upload(LocalChunkStore store, IDurabilityBatch batch, FileStream file, string tmp, string path, string dir) : IChunkUpload
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
                batch.StartWriteback(file, _writebackFrom, _written - _writebackFrom);
                _writebackFrom = _written;
            }
        }

        public Task CompleteAsync(CancellationToken ct)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            batch.StartWriteback(file, _writebackFrom, _written - _writebackFrom);
            file.Dispose();
            _closed = true;
            FlushFiles(batch, [tmp], ct);
            batch.Move(tmp, path); // same content whoever wins a race
            store.FlushDirectories(batch, [dir]);
            _completed = true;
            return Task.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            if (!_closed) file.Dispose();
            _closed = true;
            batch.Dispose();
            if (!_completed)
            {
                try { File.Delete(tmp); }
                catch (IOException) { } // a leftover temporary file is never read as a chunk
                catch (UnauthorizedAccessException) { }
            }
            return ValueTask.CompletedTask;
        }
    }

    // The data barrier; a disk that cannot make the bytes durable fails the write as unavailable (503, retry later).
    static void FlushFiles(IDurabilityBatch batch, IReadOnlyList<string> tmps, CancellationToken ct)
    {
        try
        {
            batch.FlushFiles(tmps, ct);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ChunkStoreUnavailableException($"the chunk store could not make a write durable: {e.Message}", e);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Each step for the whole batch before the next (decision 0015, after git's <c>core.fsyncMethod=batch</c>): every
    /// temporary file is written and its writeback started, then one barrier makes all of them durable, then all are
    /// renamed into place, then one barrier makes every directory touched durable. A chunk becomes visible only after
    /// its bytes are durable; the call returns only after its rename is.
    /// </remarks>
    public Task PutManyAsync(IReadOnlyList<(string Hash, ReadOnlyMemory<byte> Content)> chunks, CancellationToken ct)
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
        if (pending.Count == 0) return Task.CompletedTask;

        // New fan-out directories are created now and flushed into their parents in the directory barrier below, with
        // the renames: an initial upload creates a directory for almost every chunk, and a flush for each as it is made
        // cost one journal commit per chunk.
        var directories = new HashSet<string>(StringComparer.Ordinal);
        var newSlots = new List<int>();
        foreach (var p in pending)
        {
            var dir = Path.GetDirectoryName(p.Path)!;
            directories.Add(dir);
            var slot = Slot(p.Hash);
            if (Volatile.Read(ref _fanOutKnown[slot]) || newSlots.Contains(slot)) continue;
            Directory.CreateDirectory(dir);
            newSlots.Add(slot);
            directories.Add(Path.GetDirectoryName(dir)!);
            if (!Volatile.Read(ref _topKnown[slot >> 8])) directories.Add(_root);
        }
        var written = new List<string>(pending.Count);
        using var batch = _durability.Begin(_root);
        try
        {
            foreach (var p in pending)
            {
                ct.ThrowIfCancellationRequested();
                using var f = TempStream(p.Hash, p.Tmp, new FileStreamOptions
                {
                    Mode = FileMode.CreateNew, Access = FileAccess.Write, BufferSize = 0, PreallocationSize = p.Content.Length,
                }, madeHere: true);
                written.Add(p.Tmp);
                f.Write(p.Content.Span);
                batch.StartWriteback(f, 0, p.Content.Length);
            }
            FlushFiles(batch, written, ct);
            foreach (var p in pending) batch.Move(p.Tmp, p.Path); // same content whoever wins a race
            written.Clear();
            FlushDirectories(batch, [.. directories.OrderBy(d => d.Length)]); // parents first: the order is only for the reader
            foreach (var slot in newSlots)
            {
                Volatile.Write(ref _topKnown[slot >> 8], true);
                Volatile.Write(ref _fanOutKnown[slot], true);
            }
        }
        finally
        {
            foreach (var tmp in written)
            {
                try { File.Delete(tmp); }
                catch (IOException) { } // a leftover temporary file is never read as a chunk
                catch (UnauthorizedAccessException) { }
            }
        }
        return Task.CompletedTask;
    }

    static int Slot(string hash) =>
        int.Parse(hash.AsSpan(0, 4), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture);

    // Creates a chunk's temporary file, and its fan-out directory first unless this process knows it exists or the
    // caller made it (and flushes it later, before acknowledging).
    FileStream TempStream(string hash, string tmp, FileStreamOptions options, bool madeHere = false)
    {
        var slot = Slot(hash);
        if (!madeHere && !Volatile.Read(ref _fanOutKnown[slot]))
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
            using var batch = _durability.Begin(_root);
            batch.FlushDirectories([parent], CancellationToken.None);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ChunkStoreUnavailableException($"the chunk store could not make a new directory durable: {e.Message}", e);
        }
    }

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
        using var batch = _durability.Begin(_root);
        batch.FlushDirectories([dir, Path.GetDirectoryName(path)!], ct);
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
}
