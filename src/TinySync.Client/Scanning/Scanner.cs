using System.Text;
using TinySync.Client.Engine;
using TinySync.Client.FileSystem;
using TinySync.Client.Index;
using TinySync.Core.Chunking;
using TinySync.Core.Contracts;
using TinySync.Core.Paths;

namespace TinySync.Client.Scanning;

/// <summary>Result of one scan.</summary>
public sealed class ScanResult
{
    /// <summary>An empty result.</summary>
    public ScanResult() : this(0) { }

    /// <summary>An empty result with room for <paramref name="capacity"/> entries (the previous scan's count).</summary>
    public ScanResult(int capacity) => Local = new(capacity, StringComparer.Ordinal);

    /// <summary>Everything seen, by relative path.</summary>
    public Dictionary<string, LocalState> Local { get; }

    /// <summary>
    /// Paths (and subtrees) whose state is unknown this time: unreadable, locked, changing while hashed. The planner
    /// takes no action on them (never reads their absence as a delete); the next scan retries.
    /// </summary>
    public HashSet<string> Unknown { get; } = new(StringComparer.Ordinal);

    /// <summary>Temp files of an interrupted download (<see cref="IgnoreRules.TempPrefix"/>): regular files, never links.</summary>
    public List<string> LeftoverTemps { get; } = [];

    /// <summary>
    /// Names that cannot be synced (not valid vault paths, or not portable to every platform): kept locally, reported
    /// once per name (<see cref="UnsyncableNames"/>).
    /// </summary>
    public List<string> Unsyncable { get; } = [];

    /// <summary>True when a path lies in <see cref="Unknown"/> or under one of its entries.</summary>
    public bool IsUnknown(string path)
    {
        if (Unknown.Count == 0) return false;
        for (string? p = path; p is not null; p = VaultPath.Parent(p))
        {
            if (Unknown.Contains(p)) return true;
        }
        return false;
    }
}

/// <summary>
/// Walks a link's folder. A file whose size, mtime, inode and executable bit match the index keeps its recorded chunks;
/// only changed files are read and cut with <see cref="FastCdc.Default"/>. A file that changes while it is being hashed
/// is re-read, and left <see cref="ScanResult.Unknown"/> if it keeps changing (never a torn snapshot).
/// </summary>
public sealed class Scanner(IFileSystem fs, ISyncObserver observer, SyncStats stats, UnsyncableNames? reported = null)
{
    readonly UnsyncableNames _reported = reported ?? new UnsyncableNames();

    ContainedFolder _folder = null!;
    SyncedPaths _synced = null!;
    long _previousScanStartNs = long.MinValue;
    Selection _selection = Selection.All;
    HashSet<string>? _holdingOutside; // folders outside the selection that still held something at the previous scan

    /// <summary>
    /// Scans <paramref name="root"/> against the previous local tree. A previous record is trusted on size, mtime and
    /// inode only if its mtime lies clearly before <paramref name="previousScanStartNs"/> (when the scan that could
    /// have recorded it began): a file written in the same timestamp tick as that scan can change again without its
    /// size or mtime changing ("racily clean", as git calls it), so such files are hashed again.
    /// </summary>
    public ScanResult Scan(string root, IReadOnlyDictionary<string, LocalState> previous, CancellationToken ct, long previousScanStartNs = long.MinValue,
        Selection? selection = null) =>
        Scan(new ContainedFolder(root, fs), previous, null, ct, previousScanStartNs, selection);

    /// <summary>Scans a link's folder through its contained seam (nothing is followed through a symbolic link).</summary>
    public ScanResult Scan(ContainedFolder folder, IReadOnlyDictionary<string, LocalState> previous, CancellationToken ct, long previousScanStartNs = long.MinValue,
        Selection? selection = null) =>
        Scan(folder, previous, null, ct, previousScanStartNs, selection);

    /// <summary>
    /// Scans a link's folder through its contained seam (nothing is followed through a symbolic link). A link at a
    /// path the previous scan recorded, or the synced base holds, in any case, makes that path unknown (decisions 0420,
    /// 0724); <paramref name="synced"/> loads the base, called only when the scan meets a link. Folders outside
    /// <paramref name="selection"/> are not walked unless they still hold something (decision 0453).
    /// </summary>
    public ScanResult Scan(ContainedFolder folder, IReadOnlyDictionary<string, LocalState> previous, Func<IReadOnlyDictionary<string, ItemState>>? synced,
        CancellationToken ct, long previousScanStartNs = long.MinValue, Selection? selection = null)
    {
        _previousScanStartNs = previousScanStartNs;
        _folder = folder;
        _synced = new SyncedPaths(previous, synced);
        _selection = selection ?? Selection.All;
        _holdingOutside = _selection.IsAll ? null : HoldingOutside(previous, _selection);
        var result = new ScanResult(previous.Count);
        var ignore = IgnoreRules.Load(folder);
        var toHash = new List<(string Rel, FileStat Stat)>();
        Walk("", ignore, previous, result, toHash, ct);
        _reported.EndScan();

        if (toHash.Count > 0)
        {
            long total = toHash.Sum(f => f.Stat.Size), done = 0;
            // One slot per file, not a ConcurrentBag: a bag keeps its items in thread-local queues that stay reachable
            // until its finalizer has run, long after the scan (100,000 entries held into the next round).
            var hashed = new LocalState?[toHash.Count];
            Parallel.For(0, toHash.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Environment.ProcessorCount), CancellationToken = ct }, i =>
            {
                var f = toHash[i];
                hashed[i] = HashStable(f.Rel, f.Stat, result);
                observer.Progress("scan", Interlocked.Add(ref done, f.Stat.Size), total);
            });
            foreach (var s in hashed)
            {
                if (s is not null) result.Local[s.Path] = s;
            }
        }
        return result;
    }

    /// <summary>
    /// Whether a recorded mtime is too close to the previous scan's start to prove the file unchanged. Whole-second
    /// mtimes come from coarse file systems (FAT: 2 s, HFS+: 1 s), so the margin is 2 s; finer ones get 20 ms, which
    /// covers kernels that stamp files with a jiffy clock.
    /// </summary>
    bool IsRacy(long mtimeNs)
    {
        if (_previousScanStartNs == long.MinValue) return false;
        var margin = mtimeNs % 1_000_000_000 == 0 ? 2_000_000_000L : 20_000_000L;
        return mtimeNs >= _previousScanStartNs - margin;
    }

    void Walk(string dirRel, IgnoreRules ignore, IReadOnlyDictionary<string, LocalState> previous,
        ScanResult result, List<(string, FileStat)> toHash, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        List<string> names;
        try
        {
            names = _folder.List(dirRel).ToList();
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            observer.Message(MessageLevel.Warning, $"cannot read the folder {_folder.Display(dirRel)} ({Short(e)}); skipped, will retry");
            result.Unknown.Add(dirRel);
            return;
        }
        foreach (var rawName in names)
        {
            var name = rawName.IsNormalized(NormalizationForm.FormC) ? rawName : rawName.Normalize(NormalizationForm.FormC);
            var rel = VaultPath.Combine(dirRel, name);
            var shown = Path.Combine(_folder.Display(dirRel), ContainedFolder.Printable(rawName));
            FileStat st;
            try
            {
                st = _folder.StatEntry(dirRel, rawName);
            }
            catch (Exception e) when (e is UnauthorizedAccessException or IOException)
            {
                observer.Message(MessageLevel.Warning, $"cannot read {shown} ({Short(e)}); skipped, will retry");
                result.Unknown.Add(rel);
                continue;
            }
            if (IgnoreRules.IsBuiltIn(name))
            {
                // a download's temp file left by a crash: removed after the scan (only regular files, never a link)
                if (st.Kind == EntryKind.File && string.Equals(name, rawName, StringComparison.Ordinal)) result.LeftoverTemps.Add(rel);
                continue;
            }
            if (st.Kind == EntryKind.Missing) continue;
            if (ignore.IsIgnored(rel, st.Kind == EntryKind.Directory)) continue;
            if (st.Kind == EntryKind.Symlink)
            {
                if (_synced.At(rel) is { Count: > 0 } was)
                {
                    // What was synced here was replaced by a link: its subtree is unknown (never read as deleted, never
                    // followed), exactly like an unreadable folder, under its name and under the synced name that
                    // differs only in case (a folder above renamed in case here, or the file on another device). 0420.
                    observer.Message(MessageLevel.Warning, $"{shown} is now a symbolic link; it is not followed and what was synced there is left alone on every device; replace the link by the real folder or file to sync it again");
                    result.Unknown.Add(rel);
                    result.Unknown.UnionWith(was);
                }
                else
                {
                    observer.Message(MessageLevel.Warning, $"{shown} is a symbolic link; symlinks are not synced (skipped)");
                }
                continue;
            }
            if (st.Kind == EntryKind.Other) continue;
            if (!VaultPath.TryValidate(rel, out var error) || !string.Equals(name, rawName, StringComparison.Ordinal))
            {
                Unsyncable(result, rel, shown, error ?? "the name is not in Unicode NFC");
                continue;
            }
            if (PortableName.CheckSegment(name) is { } rule)
            {
                // Valid here but not on every platform (docs/protocol.md): pending, and never read as deleted (the server may
                // hold it from before the rule).
                Unsyncable(result, rel, shown, rule);
                result.Unknown.Add(rel);
                continue;
            }
            if (st.Kind == EntryKind.Directory)
            {
                result.Local[rel] = new LocalState { Path = rel, Kind = ItemKind.Dir, Inode = st.Inode, MtimeNs = st.MtimeNs };
                if (_holdingOutside is null || _selection.Includes(rel) || _holdingOutside.Contains(rel)) Walk(rel, ignore, previous, result, toHash, ct);
                continue;
            }
            if (previous.TryGetValue(rel, out var prev) && prev.Kind == ItemKind.File && prev.Size == st.Size
                && prev.MtimeNs == st.MtimeNs && prev.Inode == st.Inode && prev.Executable == st.Executable && !IsRacy(prev.MtimeNs))
            {
                result.Local[prev.Path] = prev; // keyed by the record's own path string: no second copy per file
                continue;
            }
            toHash.Add((rel, st));
        }
    }

    /// <summary>
    /// A folder outside the selection is not walked (decision 0453), unless the previous scan saw something inside it:
    /// that is what a narrowed selection removes, or what was kept there because it is not synced.
    /// </summary>
    static HashSet<string> HoldingOutside(IReadOnlyDictionary<string, LocalState> previous, Selection selection)
    {
        var holding = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in previous.Keys)
        {
            if (selection.Includes(p)) continue;
            for (var a = VaultPath.Parent(p); a is not null && holding.Add(a); a = VaultPath.Parent(a)) { }
        }
        return holding;
    }

    void Unsyncable(ScanResult result, string rel, string shown, string reason)
    {
        result.Unsyncable.Add(rel);
        observer.Unsyncable(shown, reason);
        if (_reported.FirstTime(rel)) observer.Message(MessageLevel.Warning, $"{shown} not synced: {reason}; kept here, rename it to sync it");
    }

    LocalState? HashStable(string rel, FileStat before, ScanResult result)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                var chunks = HashFile(rel, before.Size);
                stats.Hashed();
                var after = _folder.Stat(rel);
                if (after.SameAs(before) && chunks.Sum(c => (long)c.Length) == before.Size)
                {
                    return new LocalState
                    {
                        Path = rel, Kind = ItemKind.File, Size = before.Size, MtimeNs = before.MtimeNs, Inode = before.Inode,
                        Executable = before.Executable, Chunks = chunks,
                    };
                }
                if (after.Kind != EntryKind.File) return null; // vanished: the next scan sees it gone
                before = after;
            }
            catch (Exception e) when (e is UnauthorizedAccessException or IOException)
            {
                observer.Message(MessageLevel.Warning, $"cannot read {_folder.Display(rel)} ({Short(e)}); skipped, will retry");
                lock (result) result.Unknown.Add(rel);
                return null;
            }
        }
        observer.Message(MessageLevel.Warning, $"{_folder.Display(rel)} keeps changing while it is read; it will be synced once it is stable");
        lock (result) result.Unknown.Add(rel);
        return null;
    }

    ChunkRef[] HashFile(string rel, long size)
    {
        using var stream = _folder.OpenRead(rel);
        if (size == 0) return [];
        var chunks = new List<ChunkRef>((int)Math.Min(1024, size / FastCdc.DefaultAverageSize + 1));
        FastCdc.Default.Chunk(stream, (c, _) => chunks.Add(new ChunkRef(c.Hash, c.Length)));
        return [.. chunks];
    }

    static string Short(Exception e) => e is UnauthorizedAccessException ? "permission denied" : e.Message;
}
