using TinySync.Client.Engine.Tuning;
using TinySync.Client.FileSystem;
using TinySync.Client.Index;
using TinySync.Client.Scanning;
using TinySync.Core.Contracts;
using TinySync.Core.Paths;

namespace TinySync.Client.Engine.Downloads;

/// <summary>A downloaded file being assembled in a temp file beside its target (see <see cref="FilePlacer"/>).</summary>
internal sealed class TempFile(Download download, string path, Stream output)
{
    /// <summary>What is being downloaded.</summary>
    public Download Download { get; } = download;

    /// <summary>The temp file's path (relative to the link root).</summary>
    public string Path { get; } = path;

    /// <summary>The open temp file; null once closed.</summary>
    public Stream? Output { get; set; } = output;

    /// <summary>The chunks written so far, with their lengths (the index records them).</summary>
    public List<ChunkRef> Refs { get; } = new(download.Remote.Chunks.Count);

    /// <summary>True once renamed into place or deleted.</summary>
    public bool Settled { get; set; }

    /// <summary>Appends one (verified) chunk.</summary>
    public async ValueTask WriteAsync(string hash, ReadOnlyMemory<byte> bytes, CancellationToken ct)
    {
        await Output!.WriteAsync(bytes, ct).ConfigureAwait(false);
        Refs.Add(new ChunkRef(hash, bytes.Length));
    }

    /// <summary>Throws when the assembled size is not the remote file's.</summary>
    public void CheckSize()
    {
        if (Output!.Length != Download.Remote.Size) throw new IOException($"size mismatch: expected {Download.Remote.Size} bytes, assembled {Output.Length}");
    }
}

/// <summary>
/// The one place a downloaded file is written into the folder (decisions 0405, 0409, 0441): assembled in a temp file
/// beside its target; all temp files of a group made durable together (the fsyncs run side by side, one barrier); each
/// one renamed over its target only if the target is still what was scanned (otherwise it changed locally: the temp
/// file goes and the next round sees a conflict); the folders' entries made durable; and only then the new versions
/// recorded in the index. Were a rename lost to a power cut while the index kept the new base, the old bytes would look
/// like a local edit and be uploaded over the newer version.
/// </summary>
internal sealed class FilePlacer(LinkContext cx)
{
    const int FsyncParallelism = 8;

    /// <summary>Creates the target's folder if needed and a new temp file in it.</summary>
    public TempFile Create(Download d)
    {
        var temp = VaultPath.Combine(VaultPath.Parent(d.Path), IgnoreRules.TempPrefix + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            if (VaultPath.Parent(d.Path) is { } dir) cx.Fs.CreateDirectory(dir);
            return new TempFile(d, temp, cx.Fs.CreateNew(temp));
        }
        catch
        {
            cx.TryDelete(temp);
            throw;
        }
    }

    /// <summary>
    /// Places <paramref name="files"/> (written, not yet durable) and records them; <paramref name="progress"/> hears
    /// each placed file's size. I/O failures leave the target as it was and the item pending; the temp files are gone
    /// when this returns, whatever happened.
    /// </summary>
    public async Task PlaceAsync(IReadOnlyList<TempFile> files, Action<long>? progress, CancellationToken ct)
    {
        try
        {
            // The barrier: every temp file durable before any rename.
            var durable = new bool[files.Count];
            Parallel.For(0, files.Count, new ParallelOptions { MaxDegreeOfParallelism = FsyncParallelism, CancellationToken = ct }, i =>
            {
                try
                {
                    cx.Fs.Flush(files[i].Output!);
                    durable[i] = true;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    lock (durable) Failed(files[i].Download, e);
                }
            });
            foreach (var f in files) await CloseAsync(f).ConfigureAwait(false);

            var placed = new List<(Download D, FileStat St, List<ChunkRef> Refs)>(files.Count);
            var intents = files.Where((_, i) => durable[i]).Select(f => f.Download.Remote).ToList();
            if (intents.Count > 0) lock (cx.IndexLock) cx.Index.RecordPlacing(intents); // before any rename (0721)
            for (var i = 0; i < files.Count; i++)
            {
                var f = files[i];
                var d = f.Download;
                if (!durable[i]) continue; // reported; the temp file goes below
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
                foreach (var dir in placed.Select(p => VaultPath.Parent(p.D.Path) ?? "").Distinct(StringComparer.Ordinal)) cx.Fs.FlushDirectory(dir);
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
                using var batch = cx.Index.Begin();
                foreach (var (d, st, refs) in placed)
                {
                    batch.PutLocal(new LocalState
                    {
                        Path = d.Path, Kind = ItemKind.File, Size = st.Size, MtimeNs = st.MtimeNs, Inode = st.Inode, Executable = st.Executable, Chunks = refs,
                    });
                    batch.PutBase(d.Remote);
                    batch.DeletePlacing(d.Path);
                }
                batch.Commit();
            }
            foreach (var (d, _, _) in placed) cx.Observer.Done(new SyncEvent(SyncEventKind.Downloaded, d.Path, d.Remote.Size));
            MemoryTuning.AfterBatch();
        }
        finally
        {
            foreach (var f in files) await DiscardAsync(f).ConfigureAwait(false);
        }
    }

    /// <summary>A download that could not be written: its temp file goes, the target stays, the item is pending.</summary>
    public async Task FailedAsync(Download d, TempFile? f, Exception e)
    {
        if (f is not null) await DiscardAsync(f).ConfigureAwait(false);
        Failed(d, e);
    }

    /// <summary>Closes and deletes a temp file that was not placed (nothing when it was placed or is gone already).</summary>
    public async Task DiscardAsync(TempFile f)
    {
        await CloseAsync(f).ConfigureAwait(false);
        if (f.Settled) return;
        f.Settled = true;
        cx.TryDelete(f.Path);
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
