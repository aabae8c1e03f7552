using System.Globalization;
using TinySync.Client.Engine.Downloads;
using TinySync.Client.Engine.Tuning;
using TinySync.Client.Index;
using TinySync.Client.Scanning;
using TinySync.Core.Paths;

namespace TinySync.Client.Engine;

/// <summary>
/// The planning half of a round: scans the folder against the previous scan, records the local tree in the index,
/// and asks the <see cref="Planner"/> what to do against the remote tree and the synced base.
/// </summary>
internal sealed class RoundPlanner(LinkContext cx, LocalChanges local, string deviceName, TimeProvider clock, string stateDirectory)
{
    const string ScanStartedKey = "scan_started_ns";

    readonly UnsyncableNames _unsyncable = new(); // reported once per name, not every round
    readonly UnsyncableNames _keptOutside = new(); // local items outside the selection, likewise

    /// <summary>Scans and plans one round.</summary>
    public (Plan Plan, ScanResult Scan) Run()
    {
        var index = cx.Index;
        // The remote tree first: the base and the local tree share its objects and strings where they are equal.
        var remote = index.LoadRemote();
        var previous = index.LoadLocal(remote);
        Dictionary<string, ItemState>? synced = null; // loaded by the scan only if it meets a link (was something synced there?)
        var placing = index.LoadPlacing(); // downloads renamed into place by a cycle that died before recording them
        // Records whose mtime is within a timestamp tick of the previous scan's start are hashed again (Scanner.IsRacy):
        // the file may have changed since without its size or mtime changing. The file system's clock is the wall
        // clock, so this is not the engine's clock (which tests may fake for conflict names).
        var started = DateTimeOffset.UtcNow;
        var last = long.TryParse(index.GetMeta(ScanStartedKey), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : long.MinValue;
        var selection = Selection.Load(stateDirectory); // each round: `tinysync select` takes effect at the next one
        var scan = new Scanner(cx.Fs.Disk, cx.Observer, cx.Stats, _unsyncable)
            .Scan(cx.Fs, previous, () => synced ??= index.LoadBase(remote), CancellationToken.None, last, selection);
        local.DeleteLeftoverTemps(scan.LeftoverTemps);
        index.SetMeta(ScanStartedKey, (started.ToUnixTimeMilliseconds() * 1_000_000).ToString(CultureInfo.InvariantCulture));
        MemoryTuning.AfterBatch();
        int adopted;
        var gone = new List<string>();
        using (var batch = index.Begin())
        {
            foreach (var (path, l) in scan.Local)
            {
                if (!previous.TryGetValue(path, out var p) || !ReferenceEquals(p, l)) batch.PutLocal(l);
            }
            foreach (var path in previous.Keys)
            {
                if (!scan.Local.ContainsKey(path) && !scan.IsUnknown(path)) gone.Add(path);
            }
            adopted = PlacedDownloads.Settle(placing, scan, batch);
            batch.Commit();
        }
        if (synced is null || adopted > 0) synced = index.LoadBase(remote); // with versions adopted from interrupted placements
        MemoryTuning.AfterBatch(); // the local tree's write batch
        var plan = Planner.Make(new Planner.Input(remote, synced, scan, previous, index.LoadRejected(),
            deviceName, clock.GetUtcNow(), selection));
        // A round with conflict copies carries out only those (PlanExecutor) and the next round plans again: the records
        // of what vanished stay until then, or that round could no longer find the moves this one found (a case flip
        // beside a conflict copy went up as a delete and, a round later, a put; decision 0729). The records of a move's
        // source stay too: the committer drops them once the move is committed, and a sync that dies before that finds
        // the move again next time instead of a delete the server can never carry out (decision 0730).
        if (gone.Count > 0 && !plan.Of<ConflictRename>().Any())
        {
            var moving = plan.Of<UploadMove>().Select(m => m.Path).ToList();
            using var batch = index.Begin();
            foreach (var path in gone)
            {
                if (!moving.Any(m => VaultPath.IsSameOrUnderExactly(path, m))) batch.DeleteLocal(path);
            }
            batch.Commit();
        }
        if (!selection.IsAll) TellKeptOutside(selection, scan, synced, plan);
        return (plan, scan);
    }

    /// <summary>
    /// Says once (per name, until it goes away) which local items outside the selection are kept and not synced: a
    /// file or folder made there, or edited since it was synced (decision 0453). Only the topmost of each such subtree.
    /// </summary>
    void TellKeptOutside(Selection selection, ScanResult scan, IReadOnlyDictionary<string, Index.ItemState> @base, Plan plan)
    {
        var deleting = new HashSet<string>(plan.Of<LocalDelete>().Select(d => d.Path), StringComparer.Ordinal);
        var kept = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (path, l) in scan.Local)
        {
            if (selection.Includes(path) || deleting.Contains(path)) continue;
            if (!@base.TryGetValue(path, out var b) || !l.SameContent(b)) kept.Add(path);
        }
        foreach (var path in kept.Order(StringComparer.Ordinal))
        {
            if (VaultPath.Parent(path) is { } parent && kept.Contains(parent)) continue;
            if (_keptOutside.FirstTime(path))
            {
                cx.Observer.Message(MessageLevel.Warning, $"{cx.Abs(path)} is outside this folder's selection ({selection}) and not synced; kept here, not uploaded. Move it into the selection to sync it, or `tinysync select {cx.Root} …` to include it");
            }
        }
        _keptOutside.EndScan();
    }
}
