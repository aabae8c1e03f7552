using TinySync.Client.Engine.Tuning;
using TinySync.Client.FileSystem;
using TinySync.Client.Index;
using TinySync.Client.Scanning;
using TinySync.Core.Contracts;
using TinySync.Core.Paths;

namespace TinySync.Client.Engine.Downloads;

/// <summary>A downloaded file being assembled in a temp file beside its target (see <see cref="FilePlacer"/>).</summary>
internal sealed class TempFile(Download download, string path, Stream output, PlacementBatch batch)
{
    long _written, _hinted;

    /// <summary>What is being downloaded.</summary>
    public Download Download { get; } = download;

    /// <summary>The temp file's path (relative to the link root).</summary>
    public string Path { get; } = path;

    /// <summary>The open temp file; null once closed.</summary>
    public Stream? Output { get; set; } = output;

    /// <summary>The placement batch whose barrier will make it durable.</summary>
    public PlacementBatch Batch { get; } = batch;

    /// <summary>The chunks written so far, with their lengths (the index records them).</summary>
    public List<ChunkRef> Refs { get; } = new(download.Remote.Chunks.Count);

    /// <summary>True once renamed into place or deleted.</summary>
    public bool Settled { get; set; }

    /// <summary>Appends one (verified) chunk; starts writeback every <see cref="PlacementTuning.WritebackBytes"/>.</summary>
    public async ValueTask WriteAsync(string hash, ReadOnlyMemory<byte> bytes, CancellationToken ct)
    {
        await Output!.WriteAsync(bytes, ct).ConfigureAwait(false);
        Refs.Add(new ChunkRef(hash, bytes.Length));
        _written += bytes.Length;
        if (_written - _hinted >= PlacementTuning.WritebackBytes) StartWriteback();
    }

    /// <summary>Starts writing what is not yet on its way to the device (a hint: the barrier makes it durable).</summary>
    public void StartWriteback()
    {
        if (Output is not FileStream fs || _written == _hinted) return; // a decorated stream (tests): the barrier does it all
        Batch.Durability.StartWriteback(fs, _hinted, _written - _hinted);
        _hinted = _written;
    }

    /// <summary>Throws when the assembled size is not the remote file's.</summary>
    public void CheckSize()
    {
        if (Output!.Length != Download.Remote.Size) throw new IOException($"size mismatch: expected {Download.Remote.Size} bytes, assembled {Output.Length}");
    }
}

/// <summary>
/// The one place a downloaded file is written into the folder (decisions 0405, 0409, 0441, 0443): assembled in a temp
/// file beside its target, in a <see cref="PlacementBatch"/>; all temp files of the batch made durable behind one
/// barrier; each one renamed over its target only if the target is still what was scanned (otherwise it changed
/// locally: the temp file goes and the next round sees a conflict); the folders' entries made durable behind one more
/// barrier; and only then the new versions recorded in the index. Were a rename lost to a power cut while the index kept
/// the new base, the old bytes would look like a local edit and be uploaded over the newer version.
/// </summary>
internal sealed class FilePlacer(LinkContext cx)
{
    /// <summary>
    /// Starts a placement batch for <paramref name="items"/>, before their first temp file is created; null (each item
    /// reported, nothing written) when the folder's file system cannot be opened for its barriers.
    /// </summary>
    public PlacementBatch? TryBegin(IReadOnlyCollection<Download> items)
    {
        try
        {
            return new PlacementBatch(cx.Fs.BeginDurability(PlacementBatch.BarrierFor(items.Count)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            foreach (var d in items) Failed(d, e);
            return null;
        }
    }

    /// <summary>Creates the target's folder if needed and a new temp file in it, placed later with <paramref name="batch"/>.</summary>
    public TempFile Create(PlacementBatch batch, Download d)
    {
        var temp = VaultPath.Combine(VaultPath.Parent(d.Path), IgnoreRules.TempPrefix + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            if (VaultPath.Parent(d.Path) is { } dir) cx.Fs.CreateDirectory(dir);
            return new TempFile(d, temp, cx.Fs.CreateNew(temp), batch);
        }
        catch
        {
            cx.TryDelete(temp);
            throw;
        }
    }

    /// <summary>
    /// Places <paramref name="files"/> (written in <paramref name="batch"/>, not yet durable) and records them;
    /// <paramref name="progress"/> hears each placed file's size. I/O failures leave the targets as they were and the
    /// items pending; the temp files are gone when this returns, whatever happened.
    /// </summary>
    public async Task PlaceAsync(PlacementBatch batch, IReadOnlyList<TempFile> files, Action<long>? progress, CancellationToken ct)
    {
        try
        {
            if (files.Count == 0) return;
            try
            {
                foreach (var f in files)
                {
                    f.StartWriteback();
                    await CloseAsync(f).ConfigureAwait(false); // writes what the stream still buffers: can meet a full disk
                }
                // The data barrier: every temp file durable before any rename.
                cx.Fs.FlushFiles(batch.Durability, files.Select(f => f.Path), ct);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                foreach (var f in files) Failed(f.Download, e); // the temp files go below
                return;
            }

            var placed = new List<(Download D, FileStat St, List<ChunkRef> Refs)>(files.Count);
            lock (cx.IndexLock) cx.Index.RecordPlacing([.. files.Select(f => f.Download.Remote)]); // before any rename (0721)
            foreach (var f in files)
            {
                var d = f.Download;
                try
                {
                    var now = cx.Fs.Stat(d.Path);
                    var unchanged = d.Expected is null ? now.Kind == EntryKind.Missing : now.SameAs(LinkContext.StatOf(d.Expected));
                    if (!unchanged)
                    {
                        // a local edit since the scan: the next round sees a conflict; nothing was replaced (the temp
                        // file goes below; one that cannot be deleted is found by the next scan)
                        cx.Pending($"{d.Path} changed locally during the download; will retry");
                        continue;
                    }
                    cx.Fs.SetModeFor(f.Path, d.Remote.Executable, d.Expected is null ? null : now); // the local mode stays
                    if (d.Remote.Mtime is { } m) cx.Fs.SetMtime(f.Path, m);
                    cx.Fs.Rename(f.Path, d.Path, overwrite: true);
                    f.Settled = true;
                    placed.Add((d, cx.Fs.Stat(d.Path), f.Refs));
                    progress?.Invoke(d.Remote.Size);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    Failed(d, e); // the temp file goes below
                }
            }
            if (placed.Count == 0) return;
            try
            {
                // The directory barrier: every rename durable before any record.
                cx.Fs.FlushDirectories(batch.Durability, placed.Select(p => VaultPath.Parent(p.D.Path) ?? "").Distinct(StringComparer.Ordinal), ct);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Not recorded: the next cycle finds the new bytes in place and settles them against the server.
                cx.Observer.Message(MessageLevel.Warning, $"cannot make {placed.Count} downloaded file(s) durable ({e.Message}); will retry");
                cx.Pending($"{placed.Count} downloaded file(s) not yet durable; will retry");
                return;
            }
            lock (cx.IndexLock)
            {
                using var index = cx.Index.Begin();
                foreach (var (d, st, refs) in placed)
                {
                    index.PutLocal(new LocalState
                    {
                        Path = d.Path, Kind = ItemKind.File, Size = st.Size, MtimeNs = st.MtimeNs, Inode = st.Inode, Executable = st.Executable, Chunks = refs,
                    });
                    index.PutBase(d.Remote);
                    index.DeletePlacing(d.Path);
                }
                index.Commit();
            }
            foreach (var (d, _, _) in placed) cx.Observer.Done(new SyncEvent(SyncEventKind.Downloaded, d.Path, d.Remote.Size));
            MemoryTuning.AfterBatch();
        }
        finally
        {
            await DiscardAsync(files).ConfigureAwait(false);
        }
    }

    /// <summary>A download that could not be written: its temp file goes, the target stays, the item is pending.</summary>
    public async Task FailedAsync(Download d, TempFile? f, Exception e)
    {
        if (f is not null) await DiscardAsync(f).ConfigureAwait(false);
        Failed(d, e);
    }

    /// <summary>Closes and deletes a temp file that was not placed (nothing when it was placed or is gone already).</summary>
    public Task DiscardAsync(TempFile f) => DiscardAsync([f]);

    /// <summary>
    /// Closes every one of <paramref name="files"/> first, then deletes those not placed: a close or a delete that
    /// throws (a full disk flushing the last buffered bytes, a dying process) leaves no other temp file open — a
    /// daemon would hold its descriptor, and the flock .NET takes on it, for the rest of its life.
    /// </summary>
    public async Task DiscardAsync(IReadOnlyList<TempFile> files)
    {
        foreach (var f in files)
        {
            try
            {
                await CloseAsync(f).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // it is being discarded: bytes it could not write do not matter
            }
        }
        foreach (var f in files)
        {
            if (f.Settled) continue;
            f.Settled = true;
            cx.TryDelete(f.Path);
        }
    }

    static async Task CloseAsync(TempFile f)
    {
        if (f.Output is not { } output) return;
        f.Output = null;
        await output.DisposeAsync().ConfigureAwait(false);
    }

    void Failed(Download d, Exception e)
    {
        var what = IsDiskFull(e) ? "the disk is full" : e.Message;
        cx.Observer.Message(MessageLevel.Warning, $"cannot download {d.Path} ({what}); nothing was replaced, will retry");
        cx.Pending($"{d.Path}: download failed ({what})");
    }

    static bool IsDiskFull(Exception e) => e is IOException io && (io.HResult == 28 || io.HResult == unchecked((int)0x80070070) || io.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase));
}
