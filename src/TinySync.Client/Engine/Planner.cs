using TinySync.Client.Index;
using TinySync.Client.Scanning;
using TinySync.Core.Contracts;
using TinySync.Core.Paths;

namespace TinySync.Client.Engine;

/// <summary>
/// Decides what to do by comparing each side with the synced base (never by timestamps): a side "changed" when its
/// content differs from the base. Only-local changes upload, only-remote changes download, both-changed paths with
/// equal content just record the base, and the rest are conflicts resolved without losing either side:
/// an edit beats a concurrent delete, two edits keep both (the remote keeps the path, the local copy is renamed).
/// Local renames are found by inode (or, for files, by content) and sent as moves; a remote rename of a file the
/// folder holds unchanged is carried out as a local move. Every action of a round is decided here.
/// </summary>
public static class Planner
{
    /// <summary>Inputs of one planning round.</summary>
    public sealed record Input(
        IReadOnlyDictionary<string, ItemState> Remote,
        IReadOnlyDictionary<string, ItemState> Base,
        ScanResult Scan,
        IReadOnlyDictionary<string, LocalState> PreviousLocal,
        IReadOnlyDictionary<string, (string Signature, string Reason)> Rejected,
        string DeviceName,
        DateTimeOffset Now,
        Selection? Selection = null);

    /// <summary>The signature under which a local item is remembered as rejected.</summary>
    public static string Signature(LocalState l) => l.Kind == ItemKind.Dir ? "dir" : l.Size + ":" + string.Join(',', l.Hashes);

    /// <summary>Plans one round.</summary>
    public static Plan Make(Input input)
    {
        var plan = new List<SyncAction>();
        var local = input.Scan.Local;
        var selection = input.Selection ?? Selection.All;
        // Live remote path by key, for case clashes: built on first use, as only new local items and conflict names
        // need it (a round with nothing new never does; decision 0414).
        Dictionary<string, string>? remoteKeys = null;
        Dictionary<string, string> RemoteKeys()
        {
            if (remoteKeys is null)
            {
                remoteKeys = new Dictionary<string, string>(input.Remote.Count, PathKeyComparer.Instance);
                foreach (var p in input.Remote.Keys) remoteKeys[p] = p;
            }
            return remoteKeys;
        }

        var handled = new HashSet<string>(StringComparer.Ordinal);
        DetectMoves(input, plan, handled);

        // Every path of the three trees once, in ordinal order: a list sorted in place holds less than a set and a sort.
        var paths = new List<string>(Math.Max(input.Remote.Count, local.Count));
        paths.AddRange(input.Remote.Keys);
        foreach (var p in input.Base.Keys) if (!input.Remote.ContainsKey(p)) paths.Add(p);
        foreach (var p in local.Keys) if (!input.Remote.ContainsKey(p) && !input.Base.ContainsKey(p)) paths.Add(p);
        paths.Sort(StringComparer.Ordinal);
        var takenNames = new HashSet<string>(StringComparer.Ordinal); // conflict names chosen this round (the trees hold the rest)
        bool Taken(string p) => input.Remote.ContainsKey(p) || input.Base.ContainsKey(p) || local.ContainsKey(p) || takenNames.Contains(p)
            || RemoteKeys().ContainsKey(p);

        foreach (var path in paths)
        {
            if (handled.Contains(path) || input.Scan.IsUnknown(path)) continue;
            input.Remote.TryGetValue(path, out var r);
            input.Base.TryGetValue(path, out var b);
            local.TryGetValue(path, out var l);
            if (!selection.IsAll && !selection.Includes(path))
            {
                PlanOutsideSelection(path, b, l, plan);
                continue;
            }

            var localChanged = b is null ? l is not null : l is null || !l.SameContent(b);
            var remoteChanged = b is null ? r is not null : r is null || !r.SameContent(b);

            if (!localChanged && !remoteChanged)
            {
                if (r is not null && b is not null && r.Version != b.Version) plan.Add(new AdoptBase(path, r));
                continue;
            }
            if (localChanged && !remoteChanged)
            {
                if (l is not null && input.Rejected.TryGetValue(path, out var rej) && rej.Signature == Signature(l)) continue;
                if (l is null)
                {
                    plan.Add(new UploadDelete(path, (r ?? b)!.Version, b!.Kind));
                }
                else if (r is not null && r.Kind != l.Kind)
                {
                    plan.Add(new UploadDelete(path, r.Version, r.Kind)); // kind change: delete, then create next round
                }
                else if (r is null && RemoteKeys().TryGetValue(path, out var twin) && !string.Equals(twin, path, StringComparison.Ordinal))
                {
                    // The twin left this folder and nothing changed it on the server: a case-only rename that is not a
                    // move (another kind). Its delete is planned in this round; the new name goes up in the next one.
                    if (LeavesHere(input, twin)) continue;
                    // case clash with a different live remote item: keep both, the local one under a conflict name
                    var name = ConflictNames.For(path, input.DeviceName, input.Now, Taken);
                    takenNames.Add(name);
                    plan.Add(new ConflictRename(path, name, l, $"'{path}' clashes with '{twin}' on the server (names differ only in case)"));
                }
                else
                {
                    plan.Add(l.Kind == ItemKind.Dir ? new UploadMkdir(path, r?.Version ?? 0) : new UploadPut(path, r?.Version ?? 0, l));
                }
                continue;
            }
            if (!localChanged && remoteChanged)
            {
                if (r is null)
                {
                    if (l is not null) plan.Add(new LocalDelete(path, l));
                    else plan.Add(new AdoptBase(path, null));
                }
                else if (l is not null && l.Kind != r.Kind)
                {
                    plan.Add(new LocalDelete(path, l)); // kind change: remove, then create next round
                }
                else if (r.Kind == ItemKind.Dir)
                {
                    plan.Add(new LocalMkdir(path, r));
                }
                else
                {
                    plan.Add(new Download(path, r, l));
                }
                continue;
            }
            // both changed
            if (l is null && r is null)
            {
                plan.Add(new AdoptBase(path, null));
            }
            else if (l is not null && r is not null && l.SameContent(r))
            {
                plan.Add(new AdoptBase(path, r));
            }
            else if (r is null)
            {
                // edited here, deleted there: the edit wins, upload it as new
                if (l!.Kind == ItemKind.Dir) plan.Add(new UploadMkdir(path, 0));
                else plan.Add(new UploadPut(path, 0, l));
            }
            else if (l is null)
            {
                // deleted here, edited there: the edit wins, restore it
                plan.Add(r.Kind == ItemKind.Dir ? new LocalMkdir(path, r) : new Download(path, r, null));
            }
            else if (l.Kind == ItemKind.Dir && r.Kind == ItemKind.Dir)
            {
                plan.Add(new AdoptBase(path, r));
            }
            else
            {
                var name = ConflictNames.For(path, input.DeviceName, input.Now, Taken);
                takenNames.Add(name);
                plan.Add(new ConflictRename(path, name, l, $"'{path}' changed both here and on the server"));
            }
        }
        KeepDirectoriesWithSurvivors(input, plan, Taken);
        KeepRemoteDirectoriesWithSurvivors(input, plan, Taken);
        KeepFoldersHoldingTheUnselected(input, plan);
        MoveCaseClashesAside(input, plan, RemoteKeys, Taken);
        PlanLocalMoves(plan);
        return new Plan(plan);
    }

    /// <summary>
    /// An item outside the device's selection (decision 0453) is never uploaded, downloaded or deleted on the server.
    /// What was synced here and still is as synced is removed from the disk (the server keeps it); what is gone here is
    /// forgotten; what changed here since (or was never synced) is kept where it is and left alone.
    /// </summary>
    static void PlanOutsideSelection(string path, ItemState? b, LocalState? l, List<SyncAction> plan)
    {
        if (b is null) return;
        if (l is null) plan.Add(new AdoptBase(path, null));
        else if (l.SameContent(b)) plan.Add(new LocalDelete(path, l, Unselected: true));
        // else: changed here since it was synced; the base stays, so selecting it again merges it like any edit
    }

    /// <summary>
    /// A folder deleted here is not deleted on the server while the server holds something under it that lies outside
    /// the selection (this device never had it): the folder is made here again instead. Decision 0453.
    /// </summary>
    static void KeepFoldersHoldingTheUnselected(Input input, List<SyncAction> plan)
    {
        var selection = input.Selection ?? Selection.All;
        if (selection.IsAll) return;
        for (var i = 0; i < plan.Count; i++)
        {
            if (plan[i] is not UploadDelete { Kind: ItemKind.Dir } d || input.Scan.Local.ContainsKey(d.Path)) continue;
            if (!input.Remote.TryGetValue(d.Path, out var r) || !HoldsUnselected(input, selection, d.Path)) continue;
            plan[i] = new LocalMkdir(d.Path, r);
        }
    }

    /// <summary>True when the remote tree holds an item under <paramref name="dir"/> that the selection leaves out.</summary>
    static bool HoldsUnselected(Input input, Selection selection, string dir) =>
        input.Remote.Keys.Any(p => !selection.Includes(p) && VaultPath.IsSameOrUnder(p, dir));

    /// <summary>
    /// A file the server renamed shows up as a delete of the old name plus a download of the same content under the new
    /// one: it becomes one <see cref="LocalMove"/> (no bytes travel, the file keeps its inode). Each old file serves one
    /// new name; a download that replaces an existing file, or of an empty file, is never a move (decision 0440).
    /// </summary>
    static void PlanLocalMoves(List<SyncAction> plan)
    {
        Dictionary<string, Queue<LocalDelete>>? deletes = null;
        foreach (var a in plan)
        {
            if (a is not LocalDelete { Expected.Kind: ItemKind.File } d) continue;
            deletes ??= new Dictionary<string, Queue<LocalDelete>>(StringComparer.Ordinal);
            var sig = d.Expected.Size + ":" + string.Join(',', d.Expected.Hashes);
            if (!deletes.TryGetValue(sig, out var q)) deletes[sig] = q = new Queue<LocalDelete>();
            q.Enqueue(d);
        }
        if (deletes is null) return;
        var movedAway = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < plan.Count; i++)
        {
            if (plan[i] is not Download { Expected: null } d || d.Remote.Chunks.Count == 0) continue;
            var sig = d.Remote.Size + ":" + string.Join(',', d.Remote.Chunks);
            if (!deletes.TryGetValue(sig, out var q) || q.Count == 0) continue;
            var src = q.Dequeue();
            plan[i] = new LocalMove(src.Path, d.Path, src.Expected, d.Remote);
            movedAway.Add(src.Path);
        }
        if (movedAway.Count > 0) plan.RemoveAll(a => a is LocalDelete ld && movedAway.Contains(ld.Path));
    }

    /// <summary>
    /// A directory the server deleted is not deleted here while something under it survives (an edit or a new file:
    /// edit beats delete); it is re-created on the server instead. When the server has a file at that path now, the
    /// folder cannot be re-created there: it keeps its contents under a conflict name and the file takes the path.
    /// </summary>
    static void KeepDirectoriesWithSurvivors(Input input, List<SyncAction> plan, Func<string, bool> taken)
    {
        var dirDeletes = plan.OfType<LocalDelete>().Where(d => d.Expected.Kind == ItemKind.Dir).ToList();
        if (dirDeletes.Count == 0) return;
        var deleting = new HashSet<string>(plan.OfType<LocalDelete>().Select(d => d.Path), StringComparer.Ordinal);
        var keep = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in input.Scan.Local.Keys)
        {
            if (deleting.Contains(p)) continue;
            for (var a = VaultPath.Parent(p); a is not null && keep.Add(a); a = VaultPath.Parent(a)) { }
        }
        foreach (var u in input.Scan.Unknown)
        {
            for (var a = VaultPath.Parent(u); a is not null && keep.Add(a); a = VaultPath.Parent(a)) { }
        }
        var selection = input.Selection ?? Selection.All;
        foreach (var d in dirDeletes)
        {
            if (!keep.Contains(d.Path) || !selection.Includes(d.Path)) continue;
            var i = plan.IndexOf(d);
            if (input.Remote.TryGetValue(d.Path, out var r) && r.Kind != ItemKind.Dir)
            {
                var name = ConflictNames.For(d.Path, input.DeviceName, input.Now, taken);
                plan[i] = new ConflictRename(d.Path, name, d.Expected, $"'{d.Path}' became a file on the server while this folder holds changes");
            }
            else
            {
                plan[i] = new UploadMkdir(d.Path, 0);
            }
        }
    }

    /// <summary>
    /// A folder replaced here by a file is deleted on the server only when nothing new survives in it there (edit
    /// beats delete). Otherwise the server's folder keeps the path and the local file moves aside under a conflict
    /// name; deleting the folder could never commit while something lives in it.
    /// </summary>
    static void KeepRemoteDirectoriesWithSurvivors(Input input, List<SyncAction> plan, Func<string, bool> taken)
    {
        var flips = plan.OfType<UploadDelete>()
            .Where(d => d.Kind == ItemKind.Dir && input.Scan.Local.TryGetValue(d.Path, out var l) && l.Kind == ItemKind.File).ToList();
        if (flips.Count == 0) return;
        var deleting = new HashSet<string>(plan.OfType<UploadDelete>().Select(d => d.Path), StringComparer.Ordinal);
        foreach (var d in flips)
        {
            var survivor = input.Remote.Keys.Any(p => !deleting.Contains(p) && VaultPath.IsSameOrUnder(p, d.Path) && !string.Equals(p, d.Path, StringComparison.Ordinal));
            if (!survivor) continue;
            var local = input.Scan.Local[d.Path];
            plan[plan.IndexOf(d)] = new ConflictRename(d.Path, ConflictNames.For(d.Path, input.DeviceName, input.Now, taken), local,
                $"'{d.Path}' became a file here while its folder on the server got new contents");
        }
    }

    /// <summary>
    /// An item uploaded as new (a folder kept for its survivors, an edit that beat a delete) whose name differs only in
    /// case from a live remote item would be refused every time: it moves aside under a conflict name, like a new local
    /// item does. Twins that this plan deletes or moves away are no clash.
    /// </summary>
    static void MoveCaseClashesAside(Input input, List<SyncAction> plan, Func<Dictionary<string, string>> remoteKeysOf, Func<string, bool> taken)
    {
        var candidates = plan.Where(a => a is UploadMkdir { Base: 0 } or UploadPut { Base: 0 }).OrderBy(a => a.Path.Length).ToList();
        if (candidates.Count == 0) return;
        var remoteKeys = remoteKeysOf();
        var leaving = plan.Where(a => a is UploadDelete or UploadMove).Select(a => a.Path).ToList();
        var renamed = plan.OfType<ConflictRename>().Select(c => c.Path).ToList();
        foreach (var a in candidates)
        {
            if (input.Remote.ContainsKey(a.Path) || !input.Scan.Local.TryGetValue(a.Path, out var local)) continue;
            if (!remoteKeys.TryGetValue(a.Path, out var twin) || string.Equals(twin, a.Path, StringComparison.Ordinal)) continue;
            if (leaving.Any(p => VaultPath.IsSameOrUnder(twin, p)) || renamed.Any(p => VaultPath.IsSameOrUnder(a.Path, p))) continue;
            plan[plan.IndexOf(a)] = new ConflictRename(a.Path, ConflictNames.For(a.Path, input.DeviceName, input.Now, taken), local,
                $"'{a.Path}' clashes with '{twin}' on the server (names differ only in case)");
            renamed.Add(a.Path);
        }
    }

    /// <summary>
    /// True when <paramref name="path"/> was synced, is gone from the folder (not unknown) and unchanged on the server:
    /// this round uploads its delete (or a move).
    /// </summary>
    static bool LeavesHere(Input input, string path) =>
        !input.Scan.Local.ContainsKey(path) && !input.Scan.IsUnknown(path)
        && input.Base.TryGetValue(path, out var b) && input.Remote.TryGetValue(path, out var r) && r.SameContent(b);

    /// <summary>
    /// Local renames: an item that vanished (unchanged on the server) and one that appeared with the same inode — or,
    /// for a file, the same non-empty content — become one move. A moved directory takes its subtree along; differences
    /// inside it are planned in the next round, once the trees reflect the move.
    /// </summary>
    static void DetectMoves(Input input, List<SyncAction> plan, HashSet<string> handled)
    {
        var local = input.Scan.Local;
        var selection = input.Selection ?? Selection.All;
        var vanished = new List<(string Path, ItemState Remote, LocalState Prev, bool CaseOnly)>();
        foreach (var (path, b) in input.Base)
        {
            if (local.ContainsKey(path) || input.Scan.IsUnknown(path)) continue;
            // nothing moves out of or into what the selection leaves out, and a folder holding such items on the server
            // moves as a whole only to its own name in another case, which the selection matches alike (decisions 0453, 0732)
            if (!selection.IsAll && !selection.Includes(path)) continue;
            var caseOnly = !selection.IsAll && b.Kind == ItemKind.Dir && HoldsUnselected(input, selection, path);
            if (!input.Remote.TryGetValue(path, out var r) || !r.SameContent(b)) continue;
            // the item last seen on disk must be the one the server has: a folder replaced here by a file (not
            // uploaded yet) must not "move" along with a new file that happens to reuse the file's inode
            if (!input.PreviousLocal.TryGetValue(path, out var prev) || prev.Kind != r.Kind) continue;
            vanished.Add((path, r, prev, caseOnly));
        }
        if (vanished.Count == 0) return;
        var appeared = local.Values.Where(l => !input.Base.ContainsKey(l.Path) && !input.Remote.ContainsKey(l.Path) && selection.Includes(l.Path)).ToList();
        if (appeared.Count == 0) return;

        var byInode = new Dictionary<(ItemKind, ulong), LocalState>();
        foreach (var a in appeared) if (a.Inode != 0) byInode.TryAdd((a.Kind, a.Inode), a);
        // A vanished item and an appeared one of the same kind whose names differ only in case are one rename, whatever
        // the inode or content: a new inode (editors' saves, git checkout, rsync) and an edit too (decision 0714).
        var byKey = new Dictionary<string, LocalState>(PathKeyComparer.Instance);
        foreach (var a in appeared) byKey.TryAdd(a.Path, a);
        var byContent = new Dictionary<string, LocalState>(StringComparer.Ordinal);
        foreach (var a in appeared) if (a.Kind == ItemKind.File && a.Chunks.Count > 0) byContent.TryAdd(Signature(a), a);

        var movedRoots = new List<(string From, string To)>();
        // directories first (outermost first), so files inside a moved directory are not matched one by one
        foreach (var v in vanished.OrderBy(v => v.Remote.Kind == ItemKind.Dir ? 0 : 1).ThenBy(v => v.Path.Length))
        {
            if (movedRoots.Any(m => VaultPath.IsSameOrUnder(v.Path, m.From))) continue;
            LocalState? target = null;
            if (byKey.TryGetValue(v.Path, out var k) && k.Kind == v.Remote.Kind && !handled.Contains(k.Path)) target = k;
            else if (v.CaseOnly) continue;
            else if (v.Prev.Inode != 0 && byInode.TryGetValue((v.Prev.Kind, v.Prev.Inode), out var t) && !handled.Contains(t.Path)) target = t;
            else if (v.Remote.Kind == ItemKind.File && v.Prev.Chunks.Count > 0 && byContent.TryGetValue(Signature(v.Prev), out var c) && !handled.Contains(c.Path)) target = c;
            if (target is null) continue;
            if (movedRoots.Any(m => VaultPath.IsSameOrUnder(target.Path, m.To))) continue;
            // moving into itself is not a rename; the same name in another case is (the key compares equal)
            if (VaultPath.IsSameOrUnder(target.Path, v.Path) && VaultPath.Key(target.Path).Length != VaultPath.Key(v.Path).Length) continue;
            plan.Add(new UploadMove(v.Path, target.Path, v.Remote.Version));
            movedRoots.Add((v.Path, target.Path));
            handled.Add(v.Path);
            handled.Add(target.Path);
        }
        if (movedRoots.Count == 0) return;
        // leave the subtrees of moved directories for the next round
        foreach (var p in input.Base.Keys.Concat(input.Remote.Keys).Concat(local.Keys))
        {
            foreach (var (from, to) in movedRoots)
            {
                if (VaultPath.IsSameOrUnder(p, from) || VaultPath.IsSameOrUnder(p, to)) handled.Add(p);
            }
        }
    }
}
