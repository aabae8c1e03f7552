using TinySync.Client.Engine.Tuning;
using TinySync.Client.Index;
using TinySync.Core.Contracts;
using TinySync.Core.Paths;

namespace TinySync.Client.Engine.Commit;

/// <summary>
/// Commits ops in batches and records each batch's answers in the index in one transaction: committed items in the
/// remote and base trees (a move also carries the local records along), refusals remembered so they are not retried
/// until the file changes, the rest left pending. The "commit in flight" mark covers the time between the request and
/// that transaction (decision 0719).
/// </summary>
internal sealed class Committer(LinkContext cx)
{
    /// <summary>Ops per commit request.</summary>
    public const int OpsBatchSize = 500;

    /// <summary>Index meta key set while a commit's results are not recorded (decision 0719); the pull reads it.</summary>
    public const string CommitInFlightKey = "commit_in_flight";

    long _heapPeak; // managed heap sampled after each commit batch (verbose diagnostics)

    /// <summary>The largest managed heap seen between commit batches.</summary>
    public long HeapPeak => Interlocked.Read(ref _heapPeak);

    /// <summary>A new op with a fresh id, in this link's container.</summary>
    public Op NewOp(OpKind kind, string path, long @base) =>
        new() { OpId = OpIds.New(), Kind = kind, Container = cx.Link.Container, Path = path, Base = @base };

    /// <summary>Commits <paramref name="ops"/> in batches of <see cref="OpsBatchSize"/>, recording each batch.</summary>
    public async Task CommitAsync(List<(Op Op, SyncAction Action)> ops, CommitModels models, CancellationToken ct)
    {
        if (ops.Count == 0) return;
        // an earlier commit's rows not yet carried into the base (a pull served a stale page): the flag stays (722021)
        var earlierUnrecorded = cx.Index.GetMeta(CommitInFlightKey) == "1";
        for (var i = 0; i < ops.Count; i += OpsBatchSize)
        {
            var slice = ops.GetRange(i, Math.Min(OpsBatchSize, ops.Count - i));
            // The same op ids on a retry: the server answers a retried op with its original result.
            cx.Index.SetMeta(CommitInFlightKey, "1");
            var response = await cx.Api.CommitAsync(cx.Link.VaultId, slice.Select(o => o.Op).ToList(), ct).ConfigureAwait(false);
            Record(slice, response, models, earlierUnrecorded);
        }
    }

    void Record(List<(Op Op, SyncAction Action)> slice, OpsResponse response, CommitModels models, bool earlierUnrecorded)
    {
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
        var unmoved = new List<string>(); // sources of moves the server answered without committing them
        var rejected = new List<(string Path, string Signature, string Reason)>();
        var committed = 0;
        foreach (var result in response.Results)
        {
            if (!byId.TryGetValue(result.OpId, out var pair)) continue;
            var (op, action) = pair;
            if (result.Status != OpStatus.Committed && action is UploadMove refused) unmoved.Add(refused.Path);
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
                            cx.Observer.Done(new SyncEvent(SyncEventKind.Uploaded, p.Path, p.Local.Size));
                            break;
                        case UploadMkdir m:
                            Upsert(new ItemState { Path = m.Path, Kind = ItemKind.Dir, Version = seq }, model, baseModel, remoteKeys, baseKeys);
                            break;
                        case UploadDelete d:
                            model!.RemoveSubtree(d.Path, seq);
                            baseModel!.RemoveSubtree(d.Path, seq);
                            cx.Observer.Done(new SyncEvent(SyncEventKind.DeletedOnServer, d.Path, 0));
                            break;
                        case UploadMove mv:
                            model!.Move(mv.Path, mv.NewPath, seq);
                            baseModel!.Move(mv.Path, mv.NewPath, seq);
                            localMoves.Add((mv.Path, mv.NewPath));
                            cx.Observer.Done(new SyncEvent(SyncEventKind.MovedOnServer, mv.Path, 0, mv.NewPath));
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
                        cx.Pending($"{op.Path}: {code}; will retry");
                    }
                    else if (action is UploadPut or UploadMkdir)
                    {
                        var sig = action is UploadPut up ? Planner.Signature(up.Local) : "dir";
                        rejected.Add((op.Path, sig, code));
                        cx.Observer.Message(MessageLevel.Warning, $"the server refused {op.Path} ({code}: {result.Detail}); kept locally, not retried until it changes");
                    }
                    else
                    {
                        cx.Observer.Message(MessageLevel.Warning, $"the server refused to {op.Kind.ToString().ToLowerInvariant()} {op.Path} ({code}: {result.Detail})");
                        cx.Pending($"{op.Path}: {code}");
                    }
                    break;
            }
        }
        cx.Stats.Committed(committed);
        MemoryTuning.AfterBatch();
        var heap = GC.GetTotalMemory(false);
        if (heap > Interlocked.Read(ref _heapPeak)) Interlocked.Exchange(ref _heapPeak, heap);
        using var batch = cx.Index.Begin();
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
            // carry the local records along so the moved files are not re-hashed; where this round's scan already
            // recorded the new path (the source's records stay until now, decision 0730), that newer record wins
            var local = cx.Index.LoadLocal();
            foreach (var (from, to) in localMoves)
            {
                foreach (var (p, l) in local)
                {
                    if (!VaultPath.IsSameOrUnder(p, from)) continue;
                    var np = to + p[from.Length..];
                    batch.DeleteLocal(p);
                    if (string.Equals(np, p, StringComparison.Ordinal) || !local.ContainsKey(np)) batch.PutLocal(l with { Path = np });
                }
            }
        }
        if (unmoved.Count > 0)
        {
            // the server answered: the next round plans from what it has now, without the vanished source's records
            // (kept only so a sync that died before the answer finds the move again; decision 0730)
            foreach (var p in cx.Index.LoadLocal().Keys)
            {
                if (unmoved.Any(from => VaultPath.IsSameOrUnderExactly(p, from))) batch.DeleteLocal(p);
            }
        }
        foreach (var (path, sig, reason) in rejected) batch.PutRejected(path, sig, reason);
        batch.SetMeta(CommitInFlightKey, earlierUnrecorded ? "1" : "0");
        batch.Commit();
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
}
