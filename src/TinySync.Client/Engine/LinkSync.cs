using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TinySync.Client.Api;
using TinySync.Client.FileSystem;
using TinySync.Client.Index;
using TinySync.Client.Scanning;
using TinySync.Client.State;
using TinySync.Core.Chunking;
using TinySync.Core.Contracts;
using TinySync.Core.Paths;
using TinySync.Core.Sync;

namespace TinySync.Client.Engine;

/// <summary>Outcome of a sync of one link.</summary>
/// <param name="Converged">True when the folder and the server agree (nothing left to do, nothing skipped).</param>
/// <param name="Rounds">Planning rounds used.</param>
/// <param name="Pending">What is left, one line each (skipped files, failed transfers).</param>
public sealed record LinkResult(bool Converged, int Rounds, IReadOnlyList<string> Pending);

/// <summary>
/// The sync engine for one link: pull the log into the remote tree, scan the folder into the local tree, plan against
/// the synced base, carry the plan out, and repeat until a round finds nothing to do.
/// </summary>
public sealed class LinkSync : IDisposable
{
    const int LogPageSize = 1000;
    const int OpsBatchSize = 500;
    const int MissingBatchSize = 1000;
    const int TransferParallelism = 16;
    const string ScanStartedKey = "scan_started_ns";
    const string CommitInFlightKey = "commit_in_flight"; // set while a commit's results are not recorded (decision 0719)
    const int UploadBatchBytes = 4 * 1024 * 1024;
    const int UploadBatchChunks = 256;
    const int BatchesInFlight = 4;
    const long SmallFileBytes = 1024 * 1024;
    const int DownloadGroupFiles = 64;
    const long DownloadGroupBytes = 8 * 1024 * 1024;
    const int GroupsInFlight = 4;
    const int FsyncParallelism = 8;
    const int LargeFileLookahead = 4;
    const int LargeFilesInFlight = TransferParallelism / LargeFileLookahead; // the same 16 chunk requests in flight as before

    readonly Link _link;
    readonly IDeviceApi _api;
    readonly ContainedFolder _fs; // every disk call, by path relative to the link root (decision 0419)
    readonly ISyncObserver _observer;
    readonly SyncStats _stats;
    readonly string _deviceName;
    readonly LinkIndex _index;
    readonly TimeProvider _clock;
    readonly List<string> _pending = [];
    readonly HashSet<string> _refused = new(StringComparer.Ordinal); // server paths refused and reported
    readonly UnsyncableNames _unsyncable = new(); // reported once per name, not every round
    readonly Lock _indexLock = new();
    long _heapPeak; // managed heap sampled after each commit batch (verbose diagnostics)
    int _treeRereads; // re-reads of the server's tree in this sync (decision 0716)
    bool _rereadThisRound;


    void Pending(string line)
    {
        lock (_pending) _pending.Add(line);
    }

    /// <summary>Opens the link's index (rebuilding it if corrupted).</summary>
    public LinkSync(Link link, string stateDirectory, IDeviceApi api, string deviceName, IFileSystem? fs = null,
        ISyncObserver? observer = null, SyncStats? stats = null, TimeProvider? clock = null)
    {
        _link = link;
        _api = api;
        _deviceName = deviceName;
        _fs = new ContainedFolder(link.Directory, fs ?? RealFileSystem.Instance);
        _observer = observer ?? NullObserver.Instance;
        _stats = stats ?? new SyncStats();
        _clock = clock ?? TimeProvider.System;
        try
        {
            _index = LinkIndex.Open(stateDirectory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
        {
            throw LinkIndex.Unavailable(stateDirectory, e);
        }
        if (_index.WasRebuilt)
        {
            _observer.Message(MessageLevel.Warning, $"the index of {link.Directory} was corrupted; rebuilding it from the folder and the server (local edits are kept)");
        }
    }

    /// <summary>The link.</summary>
    public Link Link => _link;

    /// <summary>Counters.</summary>
    public SyncStats Stats => _stats;

    /// <summary>The index (tests, status).</summary>
    internal LinkIndex Index => _index;

    string Root => _link.Directory;

    string Abs(string rel) => _fs.Display(rel); // for messages

    /// <summary>Runs rounds until converged or <paramref name="maxRounds"/> is reached.</summary>
    public async Task<LinkResult> SyncAsync(int maxRounds = 12, CancellationToken ct = default)
    {
        try
        {
            return await SyncRoundsAsync(maxRounds, ct).ConfigureAwait(false);
        }
        catch (Microsoft.Data.Sqlite.SqliteException e)
        {
            // a full disk or an I/O error while writing the index: each write is one transaction, so the index is
            // still at a consistent point; say what happened (decision 0715)
            throw LinkIndex.Unavailable(Path.GetDirectoryName(_index.FilePath)!, e);
        }
    }

    async Task<LinkResult> SyncRoundsAsync(int maxRounds, CancellationToken ct)
    {
        if (!Directory.Exists(Root))
        {
            throw new ClientException("folder_missing", $"the linked folder {Root} does not exist; re-create it or run `tinysync unlink {Root}`");
        }
        _treeRereads = 0;
        for (var round = 1; round <= maxRounds; round++)
        {
            if (await RoundAsync(round, ct).ConfigureAwait(false) is { } done) return done;
        }
        return new LinkResult(false, maxRounds, _pending.Count > 0 ? [.. _pending] : ["still changing after the maximum number of rounds; run sync again"]);
    }

    /// <summary>
    /// One round: pull, scan, plan, execute. Null when something was done (plan again). Its own method so that the
    /// round's trees, scan and plan are unreachable once it returns, before the next round loads its own.
    /// </summary>
    async Task<LinkResult?> RoundAsync(int round, CancellationToken ct)
    {
        _pending.Clear();
        _rereadThisRound = false;
        var sw = System.Diagnostics.Stopwatch.StartNew();
        await BatchGarbage.ReleaseAllAsync().ConfigureAwait(false); // the previous round's scan, plan and commit models
        await PullAsync(ct).ConfigureAwait(false);
        await BatchGarbage.ReleaseAllAsync().ConfigureAwait(false); // the pull's tree model
        var pulled = sw.ElapsedMilliseconds;
        var (plan, scan) = PlanRound();
        RefuseInvalidPaths(plan);
        BatchGarbage.Release();
        _observer.Message(MessageLevel.Info, $"{Root}: round {round}: pull {pulled} ms, scan+plan {sw.ElapsedMilliseconds - pulled} ms, {plan.Actions.Count} action(s), managed heap {GC.GetTotalMemory(false) >> 20} MiB");
        _observer.Planned(PlanTotals.Of(plan));
        if (plan.IsEmpty)
        {
            // Names that cannot be synced were reported once by the scanner and stay as they are (not a retry).
            foreach (var u in scan.Unknown) if (!scan.Unsyncable.Contains(u)) Pending($"skipped {u} (unreadable or changing); will retry");
            return new LinkResult(_pending.Count == 0, round, [.. _pending]);
        }
        sw.Restart();
        await ExecuteAsync(plan, scan, ct).ConfigureAwait(false);
        _observer.Message(MessageLevel.Info, $"{Root}: round {round}: executed in {sw.ElapsedMilliseconds} ms, managed heap {GC.GetTotalMemory(false) >> 20} MiB (most {Interlocked.Read(ref _heapPeak) >> 20} MiB seen between commits)");
        return null;
    }

    /// <summary>
    /// Drops every action on a path that is not a valid vault path — only a server can send one (the scanner never
    /// yields them): <c>../x</c>, <c>/abs/x</c>, <c>a\b</c>, NUL, not NFC. The item stays pending, one warning per path
    /// per engine, and it never reaches the disk (the folder would refuse it too). Decision 0421.
    /// </summary>
    void RefuseInvalidPaths(Plan plan)
    {
        plan.Actions.RemoveAll(a =>
        {
            if (a is AdoptBase) return false; // the index only
            var path = a is ConflictRename c && !VaultPath.IsValid(c.NewPath) ? c.NewPath : a.Path;
            if (VaultPath.TryValidate(path, out var error)) return false;
            var shown = ContainedFolder.Printable(path);
            if (_refused.Add(path))
            {
                _observer.Message(MessageLevel.Warning, $"the server sent the path '{shown}' for {Root}, which is not a valid path ({error}); refused, nothing written; check the server");
            }
            Pending($"'{shown}': refused, not a valid path ({error})");
            return true;
        });
    }

    // ---------------- remote: bootstrap and log replay ----------------

    /// <summary>Brings the remote tree up to the server's head.</summary>
    public async Task PullAsync(CancellationToken ct)
    {
        if (!_index.Bootstrapped)
        {
            // Tree pages, then the log from the first page's seq: the shared Core model makes the two converge, and
            // says when a move during paging tore the snapshot (then read the pages again).
            RemoteTree tree;
            for (var attempt = 0; ; attempt++)
            {
                tree = new RemoteTree(_link.Container);
                string? cursor = null;
                do
                {
                    var page = await _api.GetTreeAsync(_link.VaultId, _link.Container, cursor, ct).ConfigureAwait(false);
                    tree.LoadPage(page);
                    cursor = page.Next;
                }
                while (cursor is not null);
                var torn = false;
                if (tree.SnapshotFrom is { } from && tree.SnapshotTo > from)
                {
                    var log = await _api.GetLogAsync(_link.VaultId, from, (int)Math.Min(10_000, tree.SnapshotTo - from), ct).ConfigureAwait(false);
                    foreach (var e in log.Entries)
                    {
                        if (tree.Apply(e) == ApplyResult.TornSnapshot) { torn = true; break; }
                    }
                }
                if (!torn || attempt >= 5) break;
            }
            using var batch = _index.Begin();
            foreach (var old in _index.LoadRemote().Keys) batch.DeleteRemote(old);
            foreach (var item in tree.Items) batch.PutRemote(ItemState.From(item));
            batch.SetCursor(tree.Seq);
            batch.Commit();
            _index.Bootstrapped = true;
        }
        var after = _index.Cursor;
        RemoteTreeModel? model = null;
        // A commit whose answer never reached the index (a crash or a lost answer after the server applied it): our own
        // rows then also carry the base forward, so our own committed change is not later taken for a concurrent one.
        var recoverBase = _index.GetMeta(CommitInFlightKey) == "1";
        RemoteTreeModel? baseModel = null;
        var reachedHead = false; // by pages that advanced the cursor: a stale page (a proxy's) proves nothing (seed 722021)
        var anyAdvanced = false;
        while (true)
        {
            LogPage page;
            try
            {
                page = await _api.GetLogAsync(_link.VaultId, after, LogPageSize, ct).ConfigureAwait(false);
            }
            catch (ApiProblemException e) when (e.ProblemCode == ProblemCodes.CursorAhead)
            {
                // the server does not know our cursor (restored from a backup, or a new server): bootstrap again
                await RereadTreeAsync($"the server's log for {Root} is behind this client's cursor", ct).ConfigureAwait(false);
                return;
            }
            if (page.Entries.Count == 0)
            {
                reachedHead = anyAdvanced;
                break;
            }
            model ??= new RemoteTreeModel(_index.LoadRemote());
            model.Dirty.Clear();
            if (recoverBase) (baseModel ??= new RemoteTreeModel(_index.LoadBase())).Dirty.Clear();
            var advanced = false;
            foreach (var e in page.Entries)
            {
                // a duplicated or stale page (a retry, a proxy): never replay what the cursor has passed, never go back
                if (e.Seq <= after) continue;
                advanced = true;
                after = e.Seq;
                if (!string.Equals(e.Container, _link.Container, StringComparison.Ordinal)) continue;
                var own = e.DeviceId == _api.DeviceId;
                if (own) _stats.Echo(); // our own row: already applied at commit; the model keeps it idempotent
                model.Apply(e, foreign: !own);
                if (own) baseModel?.Apply(e); // versions keep it a no-op where the commit was recorded
            }
            using (var batch = _index.Begin())
            {
                foreach (var p in model.Dirty)
                {
                    if (model.Items.TryGetValue(p, out var item)) batch.PutRemote(item);
                    else batch.DeleteRemote(p);
                }
                foreach (var p in baseModel?.Dirty ?? [])
                {
                    if (baseModel!.Items.TryGetValue(p, out var item)) batch.PutBase(item);
                    else batch.DeleteBase(p);
                }
                batch.SetCursor(after);
                batch.Commit();
            }
            BatchGarbage.Release();
            if (model.Contradiction is { } c)
            {
                // The tree replayed here no longer matches the server's (see RemoteTreeModel.Contradiction): read the
                // server's tree again rather than plan from a tree that holds items the server does not.
                await RereadTreeAsync($"the remote tree of {Root} disagrees with the server's log (row {c.Seq}: {c.Kind.ToString().ToLowerInvariant()} '{c.Path}')", ct).ConfigureAwait(false);
                return;
            }
            anyAdvanced |= advanced;
            if (!page.HasMore || !advanced)
            {
                reachedHead = advanced;
                break;
            }
        }
        if (recoverBase && reachedHead && _index.GetMeta(CommitInFlightKey) == "1") _index.SetMeta(CommitInFlightKey, "0");
    }

    const int MaxTreeRereads = 3;
    static readonly TimeSpan FirstRereadBackoff = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Reads the server's tree again (decision 0713), at most once per round and <see cref="MaxTreeRereads"/> times per
    /// sync, waiting longer before each later one. A server whose fresh tree and log still disagree within the same
    /// round (or round after round) contradicts itself: the sync ends with one line instead of re-reading forever
    /// (decision 0716). The next sync starts with a fresh tree read.
    /// </summary>
    async Task RereadTreeAsync(string why, CancellationToken ct)
    {
        _index.Bootstrapped = false;
        if (_rereadThisRound || _treeRereads >= MaxTreeRereads)
        {
            throw new ServerInconsistentException(
                $"{why}, again after {_treeRereads} fresh read(s) of its tree: the server contradicts itself; stopped syncing {Root} "
                + "(nothing local was changed); run `tinysync sync` later, and tell the server's operator if it persists");
        }
        if (_treeRereads > 0) await Task.Delay(FirstRereadBackoff * (1 << (_treeRereads - 1)), ct).ConfigureAwait(false);
        _treeRereads++;
        _rereadThisRound = true;
        _observer.Message(MessageLevel.Warning, why + "; re-reading the server tree");
        await PullAsync(ct).ConfigureAwait(false);
    }

    // ---------------- local: scan and plan ----------------

    (Plan, ScanResult) PlanRound()
    {
        // The remote tree first: the base and the local tree share its objects and strings where they are equal.
        var remote = _index.LoadRemote();
        var previous = _index.LoadLocal(remote);
        var placing = _index.LoadPlacing(); // downloads renamed into place by a cycle that died before recording them
        // Records whose mtime is within a timestamp tick of the previous scan's start are hashed again (Scanner.IsRacy):
        // the file may have changed since without its size or mtime changing. The file system's clock is the wall
        // clock, so this is not _clock (which tests may fake for conflict names).
        var started = DateTimeOffset.UtcNow;
        var last = long.TryParse(_index.GetMeta(ScanStartedKey), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : long.MinValue;
        var scan = new Scanner(_fs.Disk, _observer, _stats, _unsyncable).Scan(_fs, previous, CancellationToken.None, last);
        foreach (var temp in scan.LeftoverTemps) TryDelete(temp); // an interrupted download's; the old file is in place
        _index.SetMeta(ScanStartedKey, (started.ToUnixTimeMilliseconds() * 1_000_000).ToString(CultureInfo.InvariantCulture));
        BatchGarbage.Release();
        using (var batch = _index.Begin())
        {
            foreach (var (path, l) in scan.Local)
            {
                if (!previous.TryGetValue(path, out var p) || !ReferenceEquals(p, l)) batch.PutLocal(l);
            }
            foreach (var path in previous.Keys)
            {
                if (!scan.Local.ContainsKey(path) && !scan.IsUnknown(path)) batch.DeleteLocal(path);
            }
            PlacedDownloads.Settle(placing, scan, batch);
            batch.Commit();
        }
        var plan = Planner.Make(new Planner.Input(remote, _index.LoadBase(remote), scan, previous, _index.LoadRejected(),
            _deviceName, _clock.GetUtcNow()));
        return (plan, scan);
    }

    // ---------------- execution ----------------

    async Task ExecuteAsync(Plan plan, ScanResult scan, CancellationToken ct)
    {
        // Conflict copies first: renaming changes the local tree, so the round ends and the next one re-plans.
        var renames = plan.Of<ConflictRename>().ToList();
        if (renames.Count > 0)
        {
            foreach (var c in renames) ConflictCopy(c);
            return;
        }
        using (var batch = _index.Begin())
        {
            foreach (var a in plan.Of<AdoptBase>())
            {
                if (a.Remote is null) batch.DeleteBase(a.Path);
                else batch.PutBase(a.Remote);
            }
            batch.Commit();
        }
        var sw = System.Diagnostics.Stopwatch.StartNew();
        await BatchGarbage.ReleaseAllAsync().ConfigureAwait(false);
        await UploadAsync(plan, ct).ConfigureAwait(false);
        var up = sw.ElapsedMilliseconds;
        foreach (var m in plan.Of<LocalMkdir>().OrderBy(m => m.Path.Length)) MakeLocalDirectory(m);
        var mk = sw.ElapsedMilliseconds;
        await DownloadAllAsync(plan, scan, ct).ConfigureAwait(false);
        var down = sw.ElapsedMilliseconds;
        DeleteLocal(plan);
        _observer.Message(MessageLevel.Info, $"{Root}: upload {up} ms, mkdir {mk - up} ms, download {down - mk} ms, delete {sw.ElapsedMilliseconds - down} ms");
    }

    void ConflictCopy(ConflictRename c)
    {
        try
        {
            if (!_fs.Stat(c.Path).SameAs(StatOf(c.Expected)) && c.Expected.Kind == ItemKind.File)
            {
                Pending($"{c.Path} changed again while resolving a conflict; will retry");
                return;
            }
            _fs.Rename(c.Path, c.NewPath, overwrite: false);
            _fs.FlushParent(c.NewPath); // the copy's name durable before the index says where the local version went
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _observer.Message(MessageLevel.Warning, $"cannot rename {Abs(c.Path)} to keep a conflict copy ({e.Message}); will retry");
            Pending($"conflict on {c.Path} not resolved yet");
            return;
        }
        using var batch = _index.Begin();
        batch.DeleteLocal(c.Path);
        batch.PutLocal(c.Expected with { Path = c.NewPath });
        batch.Commit();
        _stats.Conflict();
        _observer.Message(MessageLevel.Warning, $"conflict: {c.Reason}; kept both, your version is now '{c.NewPath}'");
        _observer.Done(new SyncEvent(SyncEventKind.Conflict, c.Path, 0, c.NewPath));
    }

    static FileStat StatOf(LocalState l) =>
        new(l.Kind == ItemKind.Dir ? EntryKind.Directory : EntryKind.File, l.Kind == ItemKind.Dir ? 0 : l.Size, l.MtimeNs, l.Inode, l.Executable);

    // ---------------- upload ----------------

    async Task UploadAsync(Plan plan, CancellationToken ct)
    {
        var puts = plan.Of<UploadPut>().ToList();
        var models = new CommitModels(_index, plan.Actions.Count(a => a is UploadPut or UploadMkdir));
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var committedOps = 0;

        // Ops in dependency order: new directories parent-first and moves (they need no chunks, so they go at once),
        // then files as their chunks become durable on the server (pipelined with the upload), file deletes
        // deepest-first, directory deletes last.
        var early = new List<(Op Op, SyncAction Action)>();
        foreach (var m in plan.Of<UploadMkdir>().OrderBy(m => Depth(m.Path))) early.Add((NewOp(OpKind.Mkdir, m.Path, m.Base), m));
        foreach (var m in plan.Of<UploadMove>()) early.Add((NewOp(OpKind.Move, m.Path, m.Base) with { NewPath = m.NewPath }, m));
        await CommitAsync(early, models, ct).ConfigureAwait(false);
        committedOps += early.Count;

        if (puts.Count > 0) committedOps += await UploadPutsAsync(puts, models, ct).ConfigureAwait(false);

        var deletes = plan.Of<UploadDelete>().OrderByDescending(d => Depth(d.Path)).ToList();
        var fileDeletes = deletes.Where(d => d.Kind == ItemKind.File).Select(d => (NewOp(OpKind.Delete, d.Path, d.Base), (SyncAction)d)).ToList();
        await CommitAsync(fileDeletes, models, ct).ConfigureAwait(false);
        committedOps += fileDeletes.Count;
        if (committedOps > 0) _observer.Message(MessageLevel.Info, $"{Root}: uploaded and committed {committedOps} op(s) in {System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms");

        // Directory deletes last, and only for directories with nothing left under them on the server: a concurrent
        // edit inside survives (edit beats delete). What this view may not know yet (stale log pages, a commit racing
        // ours) the server checks: `seen` = the cursor, through which the view is complete (decision 0712).
        var dirDeletes = deletes.Where(d => d.Kind == ItemKind.Dir).ToList();
        if (dirDeletes.Count > 0)
        {
            var seen = _index.Cursor;
            var remote = _index.LoadRemote();
            var deleting = dirDeletes.Select(d => d.Path).ToHashSet(StringComparer.Ordinal);
            var dirOps = new List<(Op, SyncAction)>();
            foreach (var d in dirDeletes)
            {
                var blocked = remote.Keys.Any(p => !deleting.Contains(p) && !string.Equals(p, d.Path, StringComparison.Ordinal) && VaultPath.IsSameOrUnder(p, d.Path));
                if (blocked) continue;
                dirOps.Add((NewOp(OpKind.Delete, d.Path, d.Base) with { Seen = seen }, d));
            }
            await CommitAsync(dirOps, models, ct).ConfigureAwait(false);
        }
    }

    Op PutOp(UploadPut p) => NewOp(OpKind.Put, p.Path, p.Base) with
    {
        Size = p.Local.Size, Chunks = p.Local.Hashes, Executable = p.Local.Executable,
        Mtime = DateTimeOffset.FromUnixTimeMilliseconds(p.Local.MtimeNs / 1_000_000),
    };

    /// <summary>
    /// Sends the missing chunks of <paramref name="puts"/> in framed batches (several in flight; each batch is
    /// durable on the server when its request returns) and commits every put as soon as all the chunks it needs are
    /// durable and its file is still exactly what was hashed. Returns the number of put ops committed.
    /// </summary>
    async Task<int> UploadPutsAsync(List<UploadPut> puts, CommitModels models, CancellationToken ct)
    {
        // Each distinct chunk once, with the first put that holds it (keyed by the puts' own hash strings), then which
        // of them the server lacks: a chunk is marked missing by flipping its entry back from ~first to first, so the
        // answers (100,000 strings parsed from JSON) are dropped at once and no set of them is built (decision 0414).
        var chunks = 0;
        foreach (var p in puts) chunks += p.Local.Chunks.Count;
        var firstWaiter = new Dictionary<string, int>(chunks, StringComparer.Ordinal);
        for (var i = 0; i < puts.Count; i++)
        {
            foreach (var c in puts[i].Local.Chunks) firstWaiter.TryAdd(c.Hash, ~i);
        }
        foreach (var slice in firstWaiter.Keys.Chunk(MissingBatchSize))
        {
            foreach (var h in await _api.MissingChunksAsync(_link.VaultId, slice, ct).ConfigureAwait(false))
            {
                ref var first = ref CollectionsMarshal.GetValueRefOrNullRef(firstWaiter, h);
                if (!Unsafe.IsNullRef(ref first) && first < 0) first = ~first;
            }
        }
        foreach (var (h, first) in firstWaiter)
        {
            if (first < 0) firstWaiter.Remove(h); // the server has it
        }

        // Which puts wait for which missing chunk; a put is ready when its count reaches zero. Most chunks belong to
        // one file: the first waiter sits in a plain map, further ones (shared content) in a second one. The first
        // waiter is also the one that reads the chunk.
        var waiting = new int[puts.Count];
        var moreWaiters = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        long total = 0;
        for (var i = 0; i < puts.Count; i++)
        {
            var own = puts[i].Local.Chunks;
            HashSet<string>? seen = own.Count > 1 ? new(StringComparer.Ordinal) : null;
            foreach (var c in own)
            {
                if (!firstWaiter.TryGetValue(c.Hash, out var first)) continue;
                if (seen is not null && !seen.Add(c.Hash)) continue; // the same chunk twice in one file
                if (first == i)
                {
                    total += c.Length;
                }
                else
                {
                    if (!moreWaiters.TryGetValue(c.Hash, out var list)) moreWaiters[c.Hash] = list = [];
                    list.Add(i);
                }
                waiting[i]++;
            }
        }
        var ready = System.Threading.Channels.Channel.CreateUnbounded<int>(new() { SingleReader = true });
        var gone = new bool[puts.Count]; // torn or unreadable: not committed this round
        for (var i = 0; i < puts.Count; i++)
        {
            if (waiting[i] == 0) ready.Writer.TryWrite(i);
        }

        using var failed = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var committed = 0;
        var committer = Task.Run(async () =>
        {
            try
            {
                var batch = new List<(Op, SyncAction)>(OpsBatchSize);
                await foreach (var i in ready.Reader.ReadAllAsync(failed.Token).ConfigureAwait(false))
                {
                    if (!StillSame(puts[i])) continue;
                    batch.Add((PutOp(puts[i]), puts[i]));
                    if (batch.Count >= OpsBatchSize)
                    {
                        await CommitAsync(batch, models, failed.Token).ConfigureAwait(false);
                        committed += batch.Count;
                        batch = new List<(Op, SyncAction)>(OpsBatchSize);
                    }
                }
                if (batch.Count > 0)
                {
                    await CommitAsync(batch, models, failed.Token).ConfigureAwait(false);
                    committed += batch.Count;
                }
            }
            catch
            {
                await failed.CancelAsync().ConfigureAwait(false);
                throw;
            }
        }, CancellationToken.None);

        long done = 0;
        var sender = new BatchSender(this, failed.Token, sent =>
        {
            var now = new List<int>();
            lock (waiting)
            {
                foreach (var (hash, length) in sent)
                {
                    Interlocked.Add(ref done, length);
                    if (!firstWaiter.TryGetValue(hash, out var first)) continue;
                    if (--waiting[first] == 0 && !gone[first]) now.Add(first);
                    if (!moreWaiters.TryGetValue(hash, out var list)) continue;
                    foreach (var i in list)
                    {
                        if (--waiting[i] == 0 && !gone[i]) now.Add(i);
                    }
                }
            }
            foreach (var i in now) ready.Writer.TryWrite(i);
            _observer.Progress("upload", Interlocked.Read(ref done), total);
        });
        Exception? failure = null;
        try
        {
            // Largest files first: their commits then reach other devices while the small files are still going up,
            // so a device downloading meanwhile is not left with the largest transfers at the end (0418).
            await Parallel.ForEachAsync(Enumerable.Range(0, puts.Count).Where(i => waiting[i] > 0).OrderByDescending(i => puts[i].Local.Size),
                new ParallelOptions { MaxDegreeOfParallelism = Math.Max(2, Environment.ProcessorCount), CancellationToken = failed.Token }, async (i, token) =>
                {
                    if (!await ReadChunksAsync(puts[i], i, firstWaiter, sender, token).ConfigureAwait(false))
                    {
                        lock (waiting) gone[i] = true;
                    }
                }).ConfigureAwait(false);
            await sender.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            failure = e;
        }
        try
        {
            await sender.DrainAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            failure ??= e;
        }
        ready.Writer.TryComplete();
        try
        {
            await committer.ConfigureAwait(false); // commits what became ready, even when the upload failed half-way
        }
        catch (Exception e) when (failure is not null && e is OperationCanceledException) { }
        if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        for (var i = 0; i < puts.Count; i++)
        {
            if (waiting[i] > 0 && !gone[i]) Pending($"{puts[i].Path}: shares a chunk with a file that changed while uploading; will retry");
        }
        return committed;
    }

    bool StillSame(UploadPut put)
    {
        // never commit torn content: the file must still be exactly what was hashed
        try
        {
            if (_fs.Stat(put.Path).SameAs(StatOf(put.Local))) return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Pending($"{put.Path} cannot be checked before its commit ({e.Message}); will retry");
            return false;
        }
        Pending($"{put.Path} changed while uploading; it will be rescanned");
        return false;
    }

    /// <summary>
    /// Reads the missing chunks of which file <paramref name="index"/> is the first waiter, by offset (known from the
    /// scan), verifies each one's SHA-256 and hands it to the sender. False when the file changed since the scan (the
    /// check fails) or cannot be read: it is rescanned, never committed torn, and the other files waiting for a chunk
    /// it did not send stay pending until the next round.
    /// </summary>
    async Task<bool> ReadChunksAsync(UploadPut put, int index, Dictionary<string, int> firstWaiter, BatchSender sender, CancellationToken ct)
    {
        try
        {
            using var stream = _fs.OpenRead(put.Path);
            HashSet<string>? read = put.Local.Chunks.Count > 1 ? new(StringComparer.Ordinal) : null; // a chunk twice in one file goes once
            long offset = 0;
            foreach (var c in put.Local.Chunks)
            {
                var at = offset;
                offset += c.Length;
                if (!firstWaiter.TryGetValue(c.Hash, out var first) || first != index || (read is not null && !read.Add(c.Hash))) continue;
                var buffer = ArrayPool<byte>.Shared.Rent(c.Length);
                stream.Seek(at, SeekOrigin.Begin);
                var got = await stream.ReadAtLeastAsync(buffer.AsMemory(0, c.Length), c.Length, throwOnEndOfStream: false, ct).ConfigureAwait(false);
                if (got != c.Length || !ChunkHash.Matches(buffer.AsSpan(0, c.Length), c.Hash))
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    Pending($"{put.Path} changed while uploading; it will be rescanned");
                    return false;
                }
                await sender.AddAsync(c.Hash, buffer, c.Length).ConfigureAwait(false);
            }
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _observer.Message(MessageLevel.Warning, $"cannot read {Abs(put.Path)} ({e.Message}); skipped, will retry");
            Pending($"{put.Path} unreadable; will retry");
            return false;
        }
    }

    /// <summary>
    /// Groups chunks into framed batches of about <see cref="UploadBatchBytes"/> and sends them, at most
    /// <see cref="BatchesInFlight"/> at a time (which also bounds the buffers held). Falls back to one PUT per chunk
    /// when the server has no batch route.
    /// </summary>
    sealed class BatchSender(LinkSync owner, CancellationToken ct, Action<List<(string Hash, int Length)>> onSent)
    {
        readonly SemaphoreSlim _slots = new(BatchesInFlight);
        readonly List<Task> _inflight = [];
        List<(string Hash, byte[] Buffer, int Length)> _current = [];
        long _currentBytes;

        public async Task AddAsync(string hash, byte[] buffer, int length)
        {
            List<(string, byte[], int)>? full = null;
            lock (_inflight)
            {
                _current.Add((hash, buffer, length));
                _currentBytes += length;
                if (_currentBytes >= UploadBatchBytes || _current.Count >= UploadBatchChunks)
                {
                    full = _current;
                    _current = [];
                    _currentBytes = 0;
                }
            }
            if (full is not null) await SendAsync(full).ConfigureAwait(false);
        }

        public async Task FlushAsync()
        {
            List<(string, byte[], int)> rest;
            lock (_inflight)
            {
                rest = _current;
                _current = [];
                _currentBytes = 0;
            }
            if (rest.Count > 0) await SendAsync(rest).ConfigureAwait(false);
        }

        public async Task DrainAsync()
        {
            Task[] all;
            lock (_inflight) all = [.. _inflight];
            try
            {
                await Task.WhenAll(all).ConfigureAwait(false);
            }
            finally
            {
                lock (_inflight)
                {
                    foreach (var (_, buffer, _) in _current) ArrayPool<byte>.Shared.Return(buffer);
                    _current = [];
                }
            }
        }

        async Task SendAsync(List<(string Hash, byte[] Buffer, int Length)> batch)
        {
            try
            {
                await _slots.WaitAsync(ct).ConfigureAwait(false);
            }
            catch
            {
                foreach (var (_, buffer, _) in batch) ArrayPool<byte>.Shared.Return(buffer);
                throw;
            }
            var task = Task.Run(async () =>
            {
                try
                {
                    var chunks = batch.Select(b => (b.Hash, (ReadOnlyMemory<byte>)b.Buffer.AsMemory(0, b.Length))).ToList();
                    if (!await owner._api.PutChunksAsync(owner._link.VaultId, chunks, ct).ConfigureAwait(false))
                    {
                        await Parallel.ForEachAsync(chunks, new ParallelOptions { MaxDegreeOfParallelism = TransferParallelism, CancellationToken = ct },
                            async (c, token) => await owner._api.PutChunkAsync(owner._link.VaultId, c.Hash, c.Item2, token).ConfigureAwait(false)).ConfigureAwait(false);
                    }
                    foreach (var b in batch) owner._stats.Uploaded(b.Length);
                    onSent([.. batch.Select(b => (b.Hash, b.Length))]);
                }
                finally
                {
                    foreach (var (_, buffer, _) in batch) ArrayPool<byte>.Shared.Return(buffer);
                    _slots.Release();
                }
            }, CancellationToken.None);
            lock (_inflight) _inflight.Add(task);
        }
    }

    /// <summary>
    /// The remote and base trees as commits update them. Moves and deletes need the whole trees (subtrees): those are
    /// loaded once per upload phase (not per batch), on the first batch that holds one. Puts and mkdirs only need the
    /// live path with the same key and its version: until the trees are loaded, a <see cref="KeyMap"/> per tree stands
    /// in for each and their rows go straight to the index, so an upload of new files holds no items (decision 0414).
    /// Each batch writes its rows before the next one starts, so trees loaded later from the index are the same.
    /// </summary>
    sealed class CommitModels(LinkIndex index, int upserts)
    {
        RemoteTreeModel? _remote, _base;
        KeyMap? _remoteKeys, _baseKeys;

        public bool TreesLoaded => _remote is not null;

        public RemoteTreeModel Remote
        {
            get
            {
                if (_remote is null)
                {
                    _remoteKeys = _baseKeys = null;
                    _remote = new RemoteTreeModel(index.LoadRemote());
                }
                return _remote;
            }
        }

        public RemoteTreeModel Base => _base ??= new RemoteTreeModel(index.LoadBase(Remote.Items));

        public KeyMap RemoteKeys => _remoteKeys ??= new KeyMap(index.RemoteVersions(), upserts);

        /// <summary>The remote map itself when the base holds the same paths and versions (a synced folder): the same
        /// upserts then give both trees the same rows.</summary>
        public KeyMap BaseKeys => _baseKeys ??= RemoteKeys.Holds(index.BaseVersions()) ? RemoteKeys : new KeyMap(index.BaseVersions(), upserts);
    }

    Op NewOp(OpKind kind, string path, long @base) =>
        new() { OpId = OpIds.New(), Kind = kind, Container = _link.Container, Path = path, Base = @base };

    static int Depth(string path) => path.Count(c => c == '/');

    async Task CommitAsync(List<(Op Op, SyncAction Action)> ops, CommitModels models, CancellationToken ct)
    {
        if (ops.Count == 0) return;
        // an earlier commit's rows not yet carried into the base (a pull served a stale page): the flag stays (722021)
        var earlierUnrecorded = _index.GetMeta(CommitInFlightKey) == "1";
        for (var i = 0; i < ops.Count; i += OpsBatchSize)
        {
            var slice = ops.GetRange(i, Math.Min(OpsBatchSize, ops.Count - i));
            // The same op ids on a retry: the server answers a retried op with its original result.
            _index.SetMeta(CommitInFlightKey, "1");
            var response = await _api.CommitAsync(_link.VaultId, slice.Select(o => o.Op).ToList(), ct).ConfigureAwait(false);
            var byId = slice.ToDictionary(o => o.Op.OpId);
            // the trees are loaded once per phase (not per batch): 100,000 ops must not re-read 100,000 rows 200 times
            var trees = models.TreesLoaded || slice.Any(o => o.Action is UploadDelete or UploadMove);
            var model = trees ? models.Remote : null;
            var baseModel = trees ? models.Base : null;
            var remoteKeys = trees ? null : models.RemoteKeys;
            var baseKeys = trees ? null : models.BaseKeys;
            model?.Dirty.Clear();
            baseModel?.Dirty.Clear();
            remoteKeys?.Changes.Clear();
            baseKeys?.Changes.Clear();
            var localMoves = new List<(string From, string To)>();
            var rejected = new List<(string Path, string Signature, string Reason)>();
            var committed = 0;
            foreach (var result in response.Results)
            {
                if (!byId.TryGetValue(result.OpId, out var pair)) continue;
                var (op, action) = pair;
                switch (result.Status)
                {
                    case OpStatus.Committed:
                        committed++;
                        var seq = result.Seq ?? 0;
                        switch (action)
                        {
                            case UploadPut p:
                                var item = new ItemState
                                {
                                    Path = p.Path, Kind = ItemKind.File, Version = seq, Size = p.Local.Size, Chunks = p.Local.Hashes,
                                    Executable = p.Local.Executable, Mtime = op.Mtime,
                                };
                                Upsert(item, model, baseModel, remoteKeys, baseKeys);
                                _observer.Done(new SyncEvent(SyncEventKind.Uploaded, p.Path, p.Local.Size));
                                break;
                            case UploadMkdir m:
                                Upsert(new ItemState { Path = m.Path, Kind = ItemKind.Dir, Version = seq }, model, baseModel, remoteKeys, baseKeys);
                                break;
                            case UploadDelete d:
                                model!.RemoveSubtree(d.Path, seq);
                                baseModel!.RemoveSubtree(d.Path, seq);
                                _observer.Done(new SyncEvent(SyncEventKind.DeletedOnServer, d.Path, 0));
                                break;
                            case UploadMove mv:
                                model!.Move(mv.Path, mv.NewPath, seq);
                                baseModel!.Move(mv.Path, mv.NewPath, seq);
                                localMoves.Add((mv.Path, mv.NewPath));
                                _observer.Done(new SyncEvent(SyncEventKind.MovedOnServer, mv.Path, 0, mv.NewPath));
                                break;
                        }
                        break;
                    case OpStatus.Conflict:
                        // The server moved on. The remote tree is left as it is: the next round's pull replays the rows
                        // that changed the item, in order. Guessing from the answer (dropping the item, or setting its
                        // current version) made a later replayed move of the old item a no-op: its new path was lost.
                        break;
                    default:
                        var code = result.Code ?? "rejected";
                        if (code is "parent_missing" or "missing_chunks")
                        {
                            Pending($"{op.Path}: {code}; will retry");
                        }
                        else if (action is UploadPut or UploadMkdir)
                        {
                            var sig = action is UploadPut up ? Planner.Signature(up.Local) : "dir";
                            rejected.Add((op.Path, sig, code));
                            _observer.Message(MessageLevel.Warning, $"the server refused {op.Path} ({code}: {result.Detail}); kept locally, not retried until it changes");
                        }
                        else
                        {
                            _observer.Message(MessageLevel.Warning, $"the server refused to {op.Kind.ToString().ToLowerInvariant()} {op.Path} ({code}: {result.Detail})");
                            Pending($"{op.Path}: {code}");
                        }
                        break;
                }
            }
            _stats.Committed(committed);
            BatchGarbage.Release();
            var heap = GC.GetTotalMemory(false);
            if (heap > Interlocked.Read(ref _heapPeak)) Interlocked.Exchange(ref _heapPeak, heap);
            using var batch = _index.Begin();
            if (model is not null && baseModel is not null)
            {
                foreach (var p in model.Dirty)
                {
                    if (model.Items.TryGetValue(p, out var item)) batch.PutRemote(item);
                    else batch.DeleteRemote(p);
                }
                foreach (var p in baseModel.Dirty)
                {
                    if (baseModel.Items.TryGetValue(p, out var item)) batch.PutBase(item);
                    else batch.DeleteBase(p);
                }
            }
            if (remoteKeys is not null && baseKeys is not null)
            {
                foreach (var (p, item) in remoteKeys.Changes)
                {
                    if (item is not null) batch.PutRemote(item);
                    else batch.DeleteRemote(p);
                }
                foreach (var (p, item) in baseKeys.Changes)
                {
                    if (item is not null) batch.PutBase(item);
                    else batch.DeleteBase(p);
                }
                remoteKeys.Changes.Clear();
                baseKeys.Changes.Clear();
            }
            if (localMoves.Count > 0)
            {
                // carry the local records along so the moved files are not re-hashed
                var local = _index.LoadLocal();
                foreach (var (from, to) in localMoves)
                {
                    foreach (var (p, l) in local)
                    {
                        if (!VaultPath.IsSameOrUnder(p, from)) continue;
                        var np = to + p[from.Length..];
                        batch.DeleteLocal(p);
                        batch.PutLocal(l with { Path = np });
                    }
                }
            }
            foreach (var (path, sig, reason) in rejected) batch.PutRejected(path, sig, reason);
            batch.SetMeta(CommitInFlightKey, earlierUnrecorded ? "1" : "0");
            batch.Commit();
        }
    }

    static void Upsert(ItemState item, RemoteTreeModel? model, RemoteTreeModel? baseModel, KeyMap? remoteKeys, KeyMap? baseKeys)
    {
        if (model is not null && baseModel is not null)
        {
            model.Upsert(item);
            baseModel.Upsert(item);
        }
        else
        {
            remoteKeys!.Upsert(item);
            if (!ReferenceEquals(baseKeys, remoteKeys)) baseKeys!.Upsert(item);
        }
    }

    // ---------------- download ----------------

    void MakeLocalDirectory(LocalMkdir m)
    {
        var abs = Abs(m.Path);
        try
        {
            var st = _fs.Stat(m.Path);
            if (st.Kind is not (EntryKind.Missing or EntryKind.Directory))
            {
                Pending($"{m.Path}: a {(st.Kind == EntryKind.Symlink ? "symbolic link" : "file")} is in the way of a directory; will retry");
                return;
            }
            _fs.CreateDirectory(m.Path); // each new level made durable in its parent before the index records it
            st = _fs.Stat(m.Path);
            using var batch = _index.Begin();
            batch.PutLocal(new LocalState { Path = m.Path, Kind = ItemKind.Dir, Inode = st.Inode, MtimeNs = st.MtimeNs });
            batch.PutBase(m.Remote);
            batch.Commit();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _observer.Message(MessageLevel.Warning, $"cannot create the folder {abs} ({e.Message}); will retry");
            Pending($"{m.Path}: cannot create folder");
        }
    }

    async Task DownloadAllAsync(Plan plan, ScanResult scan, CancellationToken ct)
    {
        var downloads = plan.Of<Download>().ToList();
        if (downloads.Count == 0) return;

        // Where each chunk already is on disk (by hash, from the local tree), to copy instead of downloading.
        var sources = new Dictionary<string, (string Path, long Offset, int Length, LocalState Owner)>(StringComparer.Ordinal);
        foreach (var l in scan.Local.Values)
        {
            long offset = 0;
            foreach (var c in l.Chunks)
            {
                sources.TryAdd(c.Hash, (l.Path, offset, c.Length, l));
                offset += c.Length;
            }
        }
        // A remote rename shows up as a delete plus a download of identical content: rename locally instead.
        var pendingDeletes = plan.Of<LocalDelete>().Where(d => d.Expected.Kind == ItemKind.File)
            .GroupBy(d => d.Expected.Size + ":" + string.Join(',', d.Expected.Hashes), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => new Queue<LocalDelete>(g), StringComparer.Ordinal);
        var renamedAway = new HashSet<string>(StringComparer.Ordinal);
        foreach (var d in downloads.ToList())
        {
            if (d.Expected is not null || d.Remote.Chunks.Count == 0) continue;
            var sig = d.Remote.Size + ":" + string.Join(',', d.Remote.Chunks);
            if (!pendingDeletes.TryGetValue(sig, out var q) || q.Count == 0) continue;
            var src = q.Dequeue();
            if (TryLocalRename(src, d))
            {
                renamedAway.Add(src.Path);
                downloads.Remove(d);
            }
        }
        plan.Actions.RemoveAll(a => a is LocalDelete ld && renamedAway.Contains(ld.Path));

        long total = downloads.Sum(d => d.Remote.Size), done = 0;
        void Progress(long n) => _observer.Progress("download", Interlocked.Add(ref done, n), total);
        // Small files in groups (one fetch request, one durability barrier, one index transaction per group); large
        // files four at a time, each with four chunk requests in flight.
        var groups = new List<List<Download>>();
        List<Download>? group = null;
        long groupBytes = 0;
        foreach (var d in downloads.Where(d => d.Remote.Size <= SmallFileBytes))
        {
            if (group is null || group.Count >= DownloadGroupFiles || groupBytes + d.Remote.Size > DownloadGroupBytes)
            {
                groups.Add(group = []);
                groupBytes = 0;
            }
            group.Add(d);
            groupBytes += d.Remote.Size;
        }
        var large = downloads.Where(d => d.Remote.Size > SmallFileBytes).ToList();
        await Task.WhenAll(
            Parallel.ForEachAsync(groups, new ParallelOptions { MaxDegreeOfParallelism = GroupsInFlight, CancellationToken = ct },
                async (g, token) => await DownloadGroupAsync(g, sources, Progress, token).ConfigureAwait(false)),
            Parallel.ForEachAsync(large, new ParallelOptions { MaxDegreeOfParallelism = LargeFilesInFlight, CancellationToken = ct },
                async (d, token) => await DownloadAsync(d, sources, Progress, token).ConfigureAwait(false))).ConfigureAwait(false);
    }

    /// <summary>
    /// Downloads a group of small files: their chunks come from local files when possible, the rest in framed fetch
    /// requests (verified here, one by one). Each file is assembled in its own temp file; then all temp files are made
    /// durable together (one barrier: the fsyncs run side by side so the file system can commit them at once), and
    /// only then is each renamed over its target — if the target is still what was scanned (decision 0405, 0409).
    /// </summary>
    async Task DownloadGroupAsync(List<Download> group, Dictionary<string, (string Path, long Offset, int Length, LocalState Owner)> sources,
        Action<long> progress, CancellationToken ct)
    {
        // Fetched bytes are slices of pooled answers (decision 0417), returned once the group's files are written.
        var answers = new List<RentedChunks>();
        try
        {
            await DownloadGroupAsync(group, sources, answers, progress, ct).ConfigureAwait(false);
        }
        finally
        {
            foreach (var a in answers) a.Dispose();
        }
    }

    async Task DownloadGroupAsync(List<Download> group, Dictionary<string, (string Path, long Offset, int Length, LocalState Owner)> sources,
        List<RentedChunks> answers, Action<long> progress, CancellationToken ct)
    {
        var bytesOf = new Dictionary<string, ReadOnlyMemory<byte>>(StringComparer.Ordinal);
        var fetch = new List<string>();
        var asked = new HashSet<string>(StringComparer.Ordinal);
        foreach (var d in group)
        {
            foreach (var hash in d.Remote.Chunks)
            {
                if (bytesOf.ContainsKey(hash) || asked.Contains(hash)) continue;
                if (ReadLocalChunk(hash, sources) is { } local)
                {
                    bytesOf[hash] = local;
                    _stats.Reused();
                }
                else
                {
                    asked.Add(hash);
                    fetch.Add(hash);
                }
            }
        }
        try
        {
            while (fetch.Count > 0)
            {
                var got = await _api.FetchChunksAsync(_link.VaultId, fetch, ct).ConfigureAwait(false);
                if (got is null)
                {
                    // an older server without the fetch route: one GET per chunk
                    foreach (var hash in fetch) bytesOf[hash] = Held(answers, await GetChunkVerifiedAsync(hash, ct).ConfigureAwait(false));
                    break;
                }
                answers.Add(got);
                var progressed = false;
                foreach (var (hash, bytes) in got.Chunks)
                {
                    if (!asked.Contains(hash) || bytesOf.ContainsKey(hash)) continue;
                    if (ChunkHash.Matches(bytes.Span, hash))
                    {
                        bytesOf[hash] = bytes;
                        _stats.Downloaded(bytes.Length);
                    }
                    else
                    {
                        bytesOf[hash] = Held(answers, await GetChunkVerifiedAsync(hash, ct).ConfigureAwait(false));
                    }
                    progressed = true;
                }
                if (!progressed) throw new IOException("the server answered a chunk fetch with none of the chunks asked for");
                fetch = fetch.Where(h => !bytesOf.ContainsKey(h)).ToList();
            }
        }
        catch (IOException e)
        {
            foreach (var d in group) DownloadFailed(d, null, e);
            return;
        }

        var written = new List<(Download D, string Temp, Stream? Output, List<ChunkRef> Refs)>(group.Count);
        try
        {
            foreach (var d in group)
            {
                var temp = TempFor(d.Path);
                Stream? output = null;
                try
                {
                    if (VaultPath.Parent(d.Path) is { } dir) _fs.CreateDirectory(dir);
                    output = _fs.CreateNew(temp);
                    var refs = new List<ChunkRef>(d.Remote.Chunks.Count);
                    foreach (var hash in d.Remote.Chunks)
                    {
                        var bytes = bytesOf[hash];
                        await output.WriteAsync(bytes, ct).ConfigureAwait(false);
                        refs.Add(new ChunkRef(hash, bytes.Length));
                    }
                    if (output.Length != d.Remote.Size) throw new IOException($"size mismatch: expected {d.Remote.Size} bytes, assembled {output.Length}");
                    written.Add((d, temp, output, refs));
                    output = null;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    if (output is not null) await output.DisposeAsync().ConfigureAwait(false);
                    DownloadFailed(d, temp, e);
                }
            }

            // The barrier: every temp file durable before any rename.
            var durable = new bool[written.Count];
            Parallel.For(0, written.Count, new ParallelOptions { MaxDegreeOfParallelism = FsyncParallelism, CancellationToken = ct }, i =>
            {
                try
                {
                    _fs.Flush(written[i].Output!);
                    durable[i] = true;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    lock (durable) DownloadFailed(written[i].D, null, e);
                }
            });
            for (var i = 0; i < written.Count; i++)
            {
                await written[i].Output!.DisposeAsync().ConfigureAwait(false);
                written[i] = written[i] with { Output = null };
            }

            var placed = new List<(Download D, FileStat St, List<ChunkRef> Refs)>(written.Count);
            var intents = written.Where((_, i) => durable[i]).Select(w => w.D.Remote).ToList();
            if (intents.Count > 0) lock (_indexLock) _index.RecordPlacing(intents); // before any rename (0721)
            for (var i = 0; i < written.Count; i++)
            {
                var (d, temp, _, refs) = written[i];
                if (!durable[i])
                {
                    TryDelete(temp);
                    continue;
                }
                try
                {
                    var now = _fs.Stat(d.Path);
                    var unchanged = d.Expected is null ? now.Kind == EntryKind.Missing : now.SameAs(StatOf(d.Expected));
                    if (!unchanged)
                    {
                        TryDelete(temp);
                        Pending($"{d.Path} changed locally during the download; will retry");
                        continue;
                    }
                    _fs.SetModeFor(temp, d.Remote.Executable, d.Expected is null ? null : now); // the local mode stays
                    if (d.Remote.Mtime is { } m) _fs.SetMtime(temp, m);
                    _fs.Rename(temp, d.Path, overwrite: true);
                    placed.Add((d, _fs.Stat(d.Path), refs));
                    progress(d.Remote.Size);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    DownloadFailed(d, temp, e);
                }
            }
            if (placed.Count == 0) return;
            // The renames must be durable before the index says the new versions are on disk: were a rename lost to
            // a power cut while the index kept the new base, the old bytes would look like a local edit and be
            // uploaded over the newer version.
            try
            {
                foreach (var dir in placed.Select(p => VaultPath.Parent(p.D.Path) ?? "").Distinct(StringComparer.Ordinal)) _fs.FlushDirectory(dir);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Not recorded: the next cycle finds the new bytes in place and settles them against the server.
                _observer.Message(MessageLevel.Warning, $"cannot make {placed.Count} downloaded file(s) durable ({e.Message}); will retry");
                Pending($"{placed.Count} downloaded file(s) not yet durable; will retry");
                return;
            }
            lock (_indexLock)
            {
                using var batch = _index.Begin();
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
            foreach (var (d, _, _) in placed) _observer.Done(new SyncEvent(SyncEventKind.Downloaded, d.Path, d.Remote.Size));
            BatchGarbage.Release();
        }
        finally
        {
            foreach (var w in written)
            {
                if (w.Output is null) continue;
                await w.Output.DisposeAsync().ConfigureAwait(false);
                TryDelete(w.Temp);
            }
        }
    }

    void DownloadFailed(Download d, string? temp, Exception e)
    {
        if (temp is not null) TryDelete(temp);
        var what = IsDiskFull(e) ? "the disk is full" : e.Message;
        _observer.Message(MessageLevel.Warning, $"cannot download {d.Path} ({what}); nothing was replaced, will retry");
        Pending($"{d.Path}: download failed ({what})");
    }

    // One chunk by GET into a pooled buffer, verified; asked for once more if it arrives corrupted.
    async Task<RentedChunks> GetChunkVerifiedAsync(string hash, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var got = await _api.GetChunkRentedAsync(_link.VaultId, hash, ct).ConfigureAwait(false);
            var bytes = got.Chunks[0].Bytes;
            if (ChunkHash.Matches(bytes.Span, hash))
            {
                _stats.Downloaded(bytes.Length);
                return got;
            }
            got.Dispose();
            if (attempt > 0) throw new IOException($"chunk {hash[..12]}… arrived corrupted twice");
        }
    }

    // Keeps a fetched chunk's lease with the group's answers (returned once its files are written); its bytes.
    static ReadOnlyMemory<byte> Held(List<RentedChunks> answers, RentedChunks one)
    {
        answers.Add(one);
        return one.Chunks[0].Bytes;
    }

    bool TryLocalRename(LocalDelete src, Download d)
    {
        string from = src.Path, to = d.Path;
        try
        {
            if (!_fs.Stat(from).SameAs(StatOf(src.Expected)) || _fs.Stat(to).Kind != EntryKind.Missing) return false;
            if (VaultPath.Parent(to) is { } parent) _fs.CreateDirectory(parent);
            _index.RecordPlacing([d.Remote]); // before the rename (0721)
            _fs.Rename(from, to, overwrite: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
        try
        {
            if (d.Remote.Executable != src.Expected.Executable) _fs.SetExecutable(to, d.Remote.Executable);
            // both names durable before the index records the move (a lost rename would read as a delete plus a new file)
            _fs.FlushParent(to);
            if (!string.Equals(VaultPath.Parent(to), VaultPath.Parent(from), StringComparison.Ordinal)) _fs.FlushParent(from);
            var st = _fs.Stat(to);
            using var batch = _index.Begin();
            batch.DeleteLocal(src.Path);
            batch.DeleteBase(src.Path);
            batch.PutLocal(src.Expected with { Path = d.Path, MtimeNs = st.MtimeNs, Inode = st.Inode, Executable = st.Executable });
            batch.PutBase(d.Remote);
            batch.DeletePlacing(d.Path);
            batch.Commit();
            _observer.Done(new SyncEvent(SyncEventKind.Moved, src.Path, 0, d.Path));
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // moved but not recorded: the next round finds the file at its new name and settles it with the server
            _observer.Message(MessageLevel.Warning, $"cannot finish moving {Abs(from)} to {Abs(to)} ({e.Message}); will retry");
            Pending($"{to}: move not yet durable; will retry");
            return true;
        }
    }

    string TempFor(string rel) => VaultPath.Combine(VaultPath.Parent(rel), IgnoreRules.TempPrefix + Guid.NewGuid().ToString("N")[..12]);

    async Task DownloadAsync(Download d, Dictionary<string, (string Path, long Offset, int Length, LocalState Owner)> sources,
        Action<long> progress, CancellationToken ct)
    {
        var temp = TempFor(d.Path);
        var refs = new List<ChunkRef>(d.Remote.Chunks.Count);
        try
        {
            if (VaultPath.Parent(d.Path) is { } dir) _fs.CreateDirectory(dir);
            await using (var output = _fs.CreateNew(temp))
            {
                // The next chunks are fetched while this one is written (LargeFileLookahead of them): one round trip
                // per chunk, one after the other, left a large file's download waiting on latency, not bandwidth.
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
                var ahead = new Queue<Task<(ReadOnlyMemory<byte> Bytes, RentedChunks? Lease)>>();
                var next = 0;
                try
                {
                    foreach (var hash in d.Remote.Chunks)
                    {
                        while (next < d.Remote.Chunks.Count && ahead.Count < LargeFileLookahead)
                        {
                            ahead.Enqueue(ChunkForFileAsync(d.Remote.Chunks[next++], sources, stop.Token));
                        }
                        var (bytes, lease) = await ahead.Dequeue().ConfigureAwait(false);
                        using (lease)
                        {
                            await output.WriteAsync(bytes, ct).ConfigureAwait(false);
                        }
                        refs.Add(new ChunkRef(hash, bytes.Length));
                        progress(bytes.Length);
                    }
                }
                finally
                {
                    // a failure leaves fetches in flight: stop them, observe their end and return what they hold
                    // before the temp file goes
                    await stop.CancelAsync().ConfigureAwait(false);
                    await ((Task)Task.WhenAll(ahead)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    foreach (var t in ahead)
                    {
                        if (t.IsCompletedSuccessfully) t.Result.Lease?.Dispose();
                    }
                }
                if (output.Length != d.Remote.Size) throw new IOException($"size mismatch: expected {d.Remote.Size} bytes, assembled {output.Length}");
                _fs.Flush(output);
            }
            // only replace what was scanned: a local edit since then makes this a conflict for the next round
            var now = _fs.Stat(d.Path);
            var unchanged = d.Expected is null ? now.Kind == EntryKind.Missing : now.SameAs(StatOf(d.Expected));
            if (!unchanged)
            {
                _fs.DeleteFile(temp);
                Pending($"{d.Path} changed locally during the download; will retry");
                return;
            }
            _fs.SetModeFor(temp, d.Remote.Executable, d.Expected is null ? null : now); // the local mode stays
            if (d.Remote.Mtime is { } m) _fs.SetMtime(temp, m);
            lock (_indexLock) _index.RecordPlacing([d.Remote]); // before the rename (0721)
            _fs.Rename(temp, d.Path, overwrite: true);
            _fs.FlushParent(d.Path); // durable before the index records it (see above)
            var st = _fs.Stat(d.Path);
            lock (_indexLock)
            {
                using var batch = _index.Begin();
                batch.PutLocal(new LocalState
                {
                    Path = d.Path, Kind = ItemKind.File, Size = st.Size, MtimeNs = st.MtimeNs, Inode = st.Inode, Executable = st.Executable, Chunks = refs,
                });
                batch.PutBase(d.Remote);
                batch.DeletePlacing(d.Path);
                batch.Commit();
            }
            _observer.Done(new SyncEvent(SyncEventKind.Downloaded, d.Path, d.Remote.Size));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            var what = IsDiskFull(e) ? "the disk is full" : e.Message;
            _observer.Message(MessageLevel.Warning, $"cannot download {d.Path} ({what}); nothing was replaced, will retry");
            Pending($"{d.Path}: download failed ({what})");
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    // One chunk of a large file: copied from a local file that has it, else fetched into a pooled buffer (the lease,
    // disposed once written) and verified.
    async Task<(ReadOnlyMemory<byte> Bytes, RentedChunks? Lease)> ChunkForFileAsync(string hash,
        Dictionary<string, (string Path, long Offset, int Length, LocalState Owner)> sources, CancellationToken ct)
    {
        if (ReadLocalChunk(hash, sources) is { } local)
        {
            _stats.Reused();
            return (local, null);
        }
        var got = await GetChunkVerifiedAsync(hash, ct).ConfigureAwait(false);
        return (got.Chunks[0].Bytes, got);
    }

    static bool IsDiskFull(Exception e) => e is IOException io && (io.HResult == 28 || io.HResult == unchecked((int)0x80070070) || io.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase));

    byte[]? ReadLocalChunk(string hash, Dictionary<string, (string Path, long Offset, int Length, LocalState Owner)> sources)
    {
        if (!sources.TryGetValue(hash, out var src)) return null;
        try
        {
            if (!_fs.Stat(src.Path).SameAs(StatOf(src.Owner))) return null;
            using var s = _fs.OpenRead(src.Path);
            s.Seek(src.Offset, SeekOrigin.Begin);
            var buffer = new byte[src.Length];
            s.ReadExactly(buffer);
            return ChunkHash.Matches(buffer, hash) ? buffer : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    void TryDelete(string path)
    {
        try { _fs.DeleteFile(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    // ---------------- local deletes ----------------

    void DeleteLocal(Plan plan)
    {
        var deletes = plan.Of<LocalDelete>().ToList();
        if (deletes.Count == 0) return;
        using var batch = _index.Begin();
        foreach (var d in deletes.Where(d => d.Expected.Kind == ItemKind.File))
        {
            var abs = Abs(d.Path);
            try
            {
                var st = _fs.Stat(d.Path);
                if (st.Kind == EntryKind.Missing) { batch.DeleteLocal(d.Path); batch.DeleteBase(d.Path); continue; }
                if (!st.SameAs(StatOf(d.Expected)))
                {
                    Pending($"{d.Path} changed locally; it will be kept (edit beats delete)");
                    continue;
                }
                _fs.DeleteFile(d.Path);
                batch.DeleteLocal(d.Path);
                batch.DeleteBase(d.Path);
                _observer.Done(new SyncEvent(SyncEventKind.Deleted, d.Path, 0));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _observer.Message(MessageLevel.Warning, $"cannot delete {abs} ({e.Message}); will retry");
                Pending($"{d.Path}: cannot delete");
            }
        }
        foreach (var d in deletes.Where(d => d.Expected.Kind == ItemKind.Dir).OrderByDescending(d => Depth(d.Path)))
        {
            var abs = Abs(d.Path);
            try
            {
                if (_fs.DeleteEmptyDirectory(d.Path))
                {
                    batch.DeleteLocal(d.Path);
                    batch.DeleteBase(d.Path);
                }
                else
                {
                    // something appeared inside (or ignored files live there): keep the folder, re-create it remotely
                    batch.DeleteBase(d.Path);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _observer.Message(MessageLevel.Warning, $"cannot delete the folder {abs} ({e.Message}); will retry");
            }
        }
        batch.Commit();
    }

    /// <inheritdoc/>
    public void Dispose() => _index.Dispose();
}
