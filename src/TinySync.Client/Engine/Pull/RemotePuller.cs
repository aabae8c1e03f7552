using TinySync.Client.Api;
using TinySync.Client.Engine.Commit;
using TinySync.Client.Engine.Tuning;
using TinySync.Client.Index;
using TinySync.Client.State;
using TinySync.Core.Contracts;
using TinySync.Core.Sync;

namespace TinySync.Client.Engine.Pull;

/// <summary>
/// Brings the remote tree (in the index) up to the server's head: the first time from the server's tree pages plus the
/// log from the first page on, then by replaying the log from the index's cursor. Re-reads the tree when the server
/// no longer knows the cursor or its log contradicts the tree replayed here (decisions 0713, 0716).
/// </summary>
internal sealed class RemotePuller(LinkContext cx)
{
    const int LogPageSize = 1000;
    const int MaxTreeRereads = 3;
    static readonly TimeSpan FirstRereadBackoff = TimeSpan.FromMilliseconds(250);

    int _treeRereads; // re-reads of the server's tree in this sync (decision 0716)
    bool _rereadThisRound;

    /// <summary>A new sync: the re-read budget starts again.</summary>
    public void StartSync() => _treeRereads = 0;

    /// <summary>A new round: one re-read allowed in it.</summary>
    public void StartRound() => _rereadThisRound = false;

    /// <summary>Brings the remote tree up to the server's head.</summary>
    public async Task PullAsync(CancellationToken ct)
    {
        var index = cx.Index;
        if (!index.Bootstrapped) await BootstrapAsync(ct).ConfigureAwait(false);
        var after = index.Cursor;
        RemoteTreeModel? model = null;
        // A commit whose answer never reached the index (a crash or a lost answer after the server applied it): our own
        // rows then also carry the base forward, so our own committed change is not later taken for a concurrent one.
        var recoverBase = index.GetMeta(Committer.CommitInFlightKey) == "1";
        RemoteTreeModel? baseModel = null;
        var reachedHead = false; // by pages that advanced the cursor: a stale page (a proxy's) proves nothing (seed 722021)
        var anyAdvanced = false;
        while (true)
        {
            LogPage page;
            try
            {
                page = await cx.Api.GetLogAsync(cx.Link.VaultId, after, LogPageSize, ct).ConfigureAwait(false);
            }
            catch (ApiProblemException e) when (e.ProblemCode == ProblemCodes.CursorAhead)
            {
                // the server does not know our cursor (restored from a backup, or a new server): bootstrap again
                await RereadTreeAsync($"the server's log for {cx.Root} is behind this client's cursor", ct).ConfigureAwait(false);
                return;
            }
            if (page.Entries.Count == 0)
            {
                reachedHead = anyAdvanced;
                break;
            }
            model ??= new RemoteTreeModel(index.LoadRemote());
            model.Dirty.Clear();
            if (recoverBase) (baseModel ??= new RemoteTreeModel(index.LoadBase())).Dirty.Clear();
            var advanced = false;
            foreach (var e in page.Entries)
            {
                // a duplicated or stale page (a retry, a proxy): never replay what the cursor has passed, never go back
                if (e.Seq <= after) continue;
                advanced = true;
                after = e.Seq;
                if (!string.Equals(e.Container, cx.Link.Container, StringComparison.Ordinal)) continue;
                var own = e.DeviceId == cx.Api.DeviceId;
                if (own) cx.Stats.Echo(); // our own row: already applied at commit; the model keeps it idempotent
                model.Apply(e, foreign: !own);
                if (own) baseModel?.Apply(e); // versions keep it a no-op where the commit was recorded
            }
            using (var batch = index.Begin())
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
            MemoryTuning.AfterBatch();
            if (model.Contradiction is { } c)
            {
                // The tree replayed here no longer matches the server's (see RemoteTreeModel.Contradiction): read the
                // server's tree again rather than plan from a tree that holds items the server does not.
                await RereadTreeAsync($"the remote tree of {cx.Root} disagrees with the server's log (row {c.Seq}: {c.Kind.ToString().ToLowerInvariant()} '{c.Path}')", ct).ConfigureAwait(false);
                return;
            }
            anyAdvanced |= advanced;
            if (!page.HasMore || !advanced)
            {
                reachedHead = advanced;
                break;
            }
        }
        if (recoverBase && reachedHead && index.GetMeta(Committer.CommitInFlightKey) == "1") index.SetMeta(Committer.CommitInFlightKey, "0");
    }

    /// <summary>
    /// Tree pages, then the log from the first page's seq: the shared Core model makes the two converge, and says when
    /// a move during paging tore the snapshot (then read the pages again).
    /// </summary>
    async Task BootstrapAsync(CancellationToken ct)
    {
        RemoteTree tree;
        for (var attempt = 0; ; attempt++)
        {
            tree = new RemoteTree(cx.Link.Container);
            string? cursor = null;
            do
            {
                var page = await cx.Api.GetTreeAsync(cx.Link.VaultId, cx.Link.Container, cursor, ct).ConfigureAwait(false);
                tree.LoadPage(page);
                cursor = page.Next;
            }
            while (cursor is not null);
            var torn = false;
            if (tree.SnapshotFrom is { } from && tree.SnapshotTo > from)
            {
                var log = await cx.Api.GetLogAsync(cx.Link.VaultId, from, (int)Math.Min(10_000, tree.SnapshotTo - from), ct).ConfigureAwait(false);
                foreach (var e in log.Entries)
                {
                    if (tree.Apply(e) == ApplyResult.TornSnapshot) { torn = true; break; }
                }
            }
            if (!torn || attempt >= 5) break;
        }
        using var batch = cx.Index.Begin();
        foreach (var old in cx.Index.LoadRemote().Keys) batch.DeleteRemote(old);
        foreach (var item in tree.Items) batch.PutRemote(ItemState.From(item));
        batch.SetCursor(tree.Seq);
        batch.Commit();
        cx.Index.Bootstrapped = true;
    }

    /// <summary>
    /// Reads the server's tree again (decision 0713), at most once per round and <see cref="MaxTreeRereads"/> times per
    /// sync, waiting longer before each later one. A server whose fresh tree and log still disagree within the same
    /// round (or round after round) contradicts itself: the sync ends with one line instead of re-reading forever
    /// (decision 0716). The next sync starts with a fresh tree read.
    /// </summary>
    async Task RereadTreeAsync(string why, CancellationToken ct)
    {
        cx.Index.Bootstrapped = false;
        if (_rereadThisRound || _treeRereads >= MaxTreeRereads)
        {
            throw new ServerInconsistentException(
                $"{why}, again after {_treeRereads} fresh read(s) of its tree: the server contradicts itself; stopped syncing {cx.Root} "
                + "(nothing local was changed); run `tinysync sync` later, and tell the server's operator if it persists");
        }
        if (_treeRereads > 0) await Task.Delay(FirstRereadBackoff * (1 << (_treeRereads - 1)), ct).ConfigureAwait(false);
        _treeRereads++;
        _rereadThisRound = true;
        cx.Observer.Message(MessageLevel.Warning, why + "; re-reading the server tree");
        await PullAsync(ct).ConfigureAwait(false);
    }
}
