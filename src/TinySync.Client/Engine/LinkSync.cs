using TinySync.Client.Api;
using TinySync.Client.Engine.Commit;
using TinySync.Client.Engine.Downloads;
using TinySync.Client.Engine.Pull;
using TinySync.Client.Engine.Tuning;
using TinySync.Client.Engine.Upload;
using TinySync.Client.FileSystem;
using TinySync.Client.Index;
using TinySync.Client.State;
using TinySync.Core.Paths;

namespace TinySync.Client.Engine;

/// <summary>Outcome of a sync of one link.</summary>
/// <param name="Converged">True when the folder and the server agree (nothing left to do, nothing skipped).</param>
/// <param name="Rounds">Planning rounds used.</param>
/// <param name="Pending">What is left, one line each (skipped files, failed transfers).</param>
public sealed record LinkResult(bool Converged, int Rounds, IReadOnlyList<string> Pending);

/// <summary>
/// The sync engine for one link, in rounds: pull the log into the remote tree (<see cref="RemotePuller"/>), scan the
/// folder and plan against the synced base (<see cref="RoundPlanner"/>, <see cref="Planner"/>), carry the plan out
/// (<see cref="PlanExecutor"/>: uploads and commits, downloads placed by <see cref="FilePlacer"/>, local changes), and
/// repeat until a round finds nothing to do. What a round leaves undone is its pending list.
/// </summary>
public sealed class LinkSync : IDisposable
{
    readonly Link _link;
    readonly ISyncObserver _observer;
    readonly SyncStats _stats;
    readonly LinkIndex _index;
    readonly PendingList _pending = new();
    readonly HashSet<string> _refused = new(StringComparer.Ordinal); // server paths refused and reported
    readonly RemotePuller _puller;
    readonly RoundPlanner _planner;
    readonly Committer _committer;
    readonly PlanExecutor _executor;

    /// <summary>Opens the link's index (rebuilding it if corrupted).</summary>
    public LinkSync(Link link, string stateDirectory, IDeviceApi api, string deviceName, IFileSystem? fs = null,
        ISyncObserver? observer = null, SyncStats? stats = null, TimeProvider? clock = null)
    {
        _link = link;
        _observer = observer ?? NullObserver.Instance;
        _stats = stats ?? new SyncStats();
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
        var cx = new LinkContext(link, api, new ContainedFolder(link.Directory, fs ?? RealFileSystem.Instance), _index, _observer, _stats, _pending);
        var local = new LocalChanges(cx);
        _puller = new RemotePuller(cx);
        _planner = new RoundPlanner(cx, local, deviceName, clock ?? TimeProvider.System, stateDirectory);
        _committer = new Committer(cx);
        _executor = new PlanExecutor(cx, new Uploader(cx, _committer), new Downloader(cx), local);
    }

    /// <summary>The link.</summary>
    public Link Link => _link;

    /// <summary>Counters.</summary>
    public SyncStats Stats => _stats;

    /// <summary>The index (tests, status).</summary>
    internal LinkIndex Index => _index;

    string Root => _link.Directory;

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

    /// <summary>Brings the remote tree up to the server's head (without scanning or changing the folder).</summary>
    public Task PullAsync(CancellationToken ct) => _puller.PullAsync(ct);

    async Task<LinkResult> SyncRoundsAsync(int maxRounds, CancellationToken ct)
    {
        if (!Directory.Exists(Root))
        {
            throw new ClientException("folder_missing", $"the linked folder {Root} does not exist; re-create it or run `tinysync unlink {Root}`");
        }
        _puller.StartSync();
        using var budget = MemoryTuning.DuringSync();
        for (var round = 1; round <= maxRounds; round++)
        {
            if (await RoundAsync(round, ct).ConfigureAwait(false) is { } done) return done;
        }
        return new LinkResult(false, maxRounds, _pending.Count > 0 ? _pending.ToList() : ["still changing after the maximum number of rounds; run sync again"]);
    }

    /// <summary>
    /// One round: pull, scan, plan, execute. Null when something was done (plan again). Its own method so that the
    /// round's trees, scan and plan are unreachable once it returns, before the next round loads its own.
    /// </summary>
    async Task<LinkResult?> RoundAsync(int round, CancellationToken ct)
    {
        _pending.Clear();
        _puller.StartRound();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        await MemoryTuning.BetweenPhasesAsync().ConfigureAwait(false); // the previous round's scan, plan and commit models
        await _puller.PullAsync(ct).ConfigureAwait(false);
        await MemoryTuning.BetweenPhasesAsync().ConfigureAwait(false); // the pull's tree model
        var pulled = sw.ElapsedMilliseconds;
        var (plan, scan) = _planner.Run();
        plan = RefuseInvalidPaths(plan);
        MemoryTuning.AfterBatch();
        _observer.Message(MessageLevel.Info, $"{Root}: round {round}: pull {pulled} ms, scan+plan {sw.ElapsedMilliseconds - pulled} ms, {plan.Actions.Count} action(s), managed heap {GC.GetTotalMemory(false) >> 20} MiB");
        _observer.Planned(PlanTotals.Of(plan));
        if (plan.IsEmpty)
        {
            // Names that cannot be synced were reported once by the scanner and stay as they are (not a retry).
            foreach (var u in scan.Unknown) if (!scan.Unsyncable.Contains(u)) _pending.Add($"skipped {u} (unreadable or changing); will retry");
            return new LinkResult(_pending.Count == 0, round, _pending.ToList());
        }
        sw.Restart();
        await _executor.ExecuteAsync(plan, scan, ct).ConfigureAwait(false);
        _observer.Message(MessageLevel.Info, $"{Root}: round {round}: executed in {sw.ElapsedMilliseconds} ms, managed heap {GC.GetTotalMemory(false) >> 20} MiB (most {_committer.HeapPeak >> 20} MiB seen between commits)");
        return null;
    }

    /// <summary>
    /// Drops every action on a path that is not a valid vault path — only a server can send one (the scanner never
    /// yields them): <c>../x</c>, <c>/abs/x</c>, <c>a\b</c>, NUL, not NFC. The item stays pending, one warning per path
    /// per engine, and it never reaches the disk (the folder would refuse it too). A local move to such a path is
    /// left as the delete of its old name. Decision 0421.
    /// </summary>
    Plan RefuseInvalidPaths(Plan plan)
    {
        var kept = new List<SyncAction>(plan.Actions.Count);
        foreach (var a in plan.Actions)
        {
            if (a is LocalMove m && !(VaultPath.IsValid(m.Path) && VaultPath.IsValid(m.NewPath)))
            {
                // the move stands for a delete and a download: each is judged on its own
                if (!Refused(m.AsDelete())) kept.Add(m.AsDelete());
                if (!Refused(m.AsDownload())) kept.Add(m.AsDownload());
            }
            else if (!Refused(a))
            {
                kept.Add(a);
            }
        }
        return new Plan(kept);
    }

    // True (reported, pending) when the action's path is not a valid vault path.
    bool Refused(SyncAction a)
    {
        if (a is AdoptBase) return false; // the index only
        var path = a is ConflictRename c && !VaultPath.IsValid(c.NewPath) ? c.NewPath : a.Path;
        if (VaultPath.TryValidate(path, out var error)) return false;
        var shown = ContainedFolder.Printable(path);
        if (_refused.Add(path))
        {
            _observer.Message(MessageLevel.Warning, $"the server sent the path '{shown}' for {Root}, which is not a valid path ({error}); refused, nothing written; check the server");
        }
        _pending.Add($"'{shown}': refused, not a valid path ({error})");
        return true;
    }

    /// <inheritdoc/>
    public void Dispose() => _index.Dispose();
}
