using TinySync.Client.Api;
using TinySync.Client.Engine;
using TinySync.Client.FileSystem;
using TinySync.Client.Index;
using TinySync.Client.Scanning;
using TinySync.Client.State;
using TinySync.Client.Status;
using TinySync.Core.Contracts;
using TinySync.Core.Paths;

namespace TinySync.Client;

/// <summary>Status of one link, from its index (no network).</summary>
/// <param name="Link">The link.</param>
/// <param name="Cursor">Last applied log seq.</param>
/// <param name="RemoteItems">Items in the remote tree.</param>
/// <param name="SyncedItems">Items in the synced base.</param>
/// <param name="LastSync">When the last cycle converged, if ever.</param>
public sealed record LinkStatus(Link Link, long Cursor, int RemoteItems, int SyncedItems, DateTimeOffset? LastSync);

/// <summary>A deleted file still restorable: its link, where it was on this machine, and what the server knows.</summary>
/// <param name="Link">The link it belonged to.</param>
/// <param name="LocalPath">Its path on this machine (what <c>tinysync restore</c> takes).</param>
/// <param name="Entry">The server's record: path in the vault, when and by which device, its last version.</param>
public sealed record DeletedFile(Link Link, string LocalPath, DeletedEntry Entry);

/// <summary>
/// The composition root of the client library: one state directory and its identity, the operations the CLI exposes.
/// </summary>
public sealed partial class TinySyncClient(StateDirectory state, IFileSystem? fs = null, RetryPolicy? retry = null)
{
    /// <summary>The state directory.</summary>
    public StateDirectory State { get; } = state;

    DeviceApiClient Api(ClientIdentity id) => DeviceApiClient.For(id, retry ?? RetryPolicy.Default);

    /// <summary>Syncs every link that is not paused until converged (or the round limit); one result per link synced.</summary>
    public async Task<IReadOnlyList<(Link Link, LinkResult Result)>> SyncAllAsync(ISyncObserver observer, SyncStats? stats = null, CancellationToken ct = default)
    {
        var identity = State.RequireIdentity();
        var links = State.LoadLinks();
        if (links.Count == 0) throw new ClientException("no_links", "no folder is linked; run `tinysync link VAULT DIR` first");
        using var api = Api(identity);
        api.Retrying += observer.Retrying;
        var results = new List<(Link, LinkResult)>();
        foreach (var link in links)
        {
            if (State.IsPaused(link)) continue; // `tinysync resume` lifts it (decision 0452)
            var result = await RunLinkAsync(link, api, identity.DisplayName, observer, stats, ct).ConfigureAwait(false);
            results.Add((link, result));
        }
        return results;
    }

    /// <summary>Index-only status of every link.</summary>
    public IReadOnlyList<LinkStatus> Status()
    {
        var result = new List<LinkStatus>();
        foreach (var link in State.LoadLinks())
        {
            // Read beside a running daemon: never repaired or created here (LinkIndex.OpenForReading).
            using var index = LinkIndex.OpenForReading(State.LinkStateDirectory(link));
            try
            {
                if (index is null) throw new FileNotFoundException();
                var last = index.GetMeta("last_sync");
                result.Add(new LinkStatus(link, index.Cursor, index.LoadRemote().Count, index.LoadBase().Count,
                    last is null ? null : DateTimeOffset.Parse(last, System.Globalization.CultureInfo.InvariantCulture)));
            }
            catch (Exception e) when (e is FileNotFoundException or Microsoft.Data.Sqlite.SqliteException)
            {
                result.Add(new LinkStatus(link, 0, 0, 0, null)); // no index yet, or one its engine is still creating
            }
        }
        return result;
    }

    /// <summary>Conflict copies present in the linked folders (absolute paths).</summary>
    public IReadOnlyList<string> Conflicts()
    {
        var result = new List<string>();
        foreach (var link in State.LoadLinks())
        {
            if (!Directory.Exists(link.Directory)) continue;
            foreach (var f in Directory.EnumerateFileSystemEntries(link.Directory, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint }))
            {
                if (ConflictNames.IsConflictCopy(Path.GetFileName(f))) result.Add(f);
            }
        }
        return result;
    }

    /// <summary>The link containing a local path, and the path relative to it ('/'-separated).</summary>
    public (Link Link, string Relative) Resolve(string localPath)
    {
        var full = StateDirectory.Normalize(localPath);
        foreach (var link in State.LoadLinks())
        {
            var root = StateDirectory.Normalize(link.Directory);
            if (full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                var rel = Path.GetRelativePath(root, full).Replace(Path.DirectorySeparatorChar, '/').Normalize(System.Text.NormalizationForm.FormC);
                return (link, rel);
            }
        }
        throw new ClientException("not_in_link", $"{full} is not inside a linked folder; `tinysync status` lists the links");
    }

    /// <summary>The retained versions of a local path, newest first.</summary>
    public async Task<(Link Link, HistoryPage History)> HistoryAsync(string localPath, CancellationToken ct = default)
    {
        var identity = State.RequireIdentity();
        var (link, rel) = Resolve(localPath);
        using var api = Api(identity);
        return (link, await api.GetHistoryAsync(link.VaultId, link.Container, rel, ct).ConfigureAwait(false));
    }

    /// <summary>
    /// The deleted files still restorable (newest delete of each path, within the server's retention window) under a
    /// local folder: a linked folder, a folder inside one, or every link when <paramref name="localDir"/> is null.
    /// </summary>
    public async Task<IReadOnlyList<DeletedFile>> DeletedAsync(string? localDir, CancellationToken ct = default)
    {
        var identity = State.RequireIdentity();
        var targets = new List<(Link Link, string? Under)>();
        if (localDir is null)
        {
            targets.AddRange(State.LoadLinks().Select(l => (l, (string?)null)));
            if (targets.Count == 0) throw new ClientException("no_links", "no folder is linked; run `tinysync link VAULT DIR` first");
        }
        else
        {
            var full = StateDirectory.Normalize(localDir);
            var root = State.LoadLinks().FirstOrDefault(l => string.Equals(StateDirectory.Normalize(l.Directory), full, StringComparison.Ordinal));
            if (root is not null) targets.Add((root, null));
            else
            {
                var (link, rel) = Resolve(localDir);
                targets.Add((link, rel));
            }
        }
        using var api = Api(identity);
        var result = new List<DeletedFile>();
        foreach (var (link, under) in targets)
        {
            string? cursor = null;
            do
            {
                var page = await api.GetDeletedAsync(link.VaultId, link.Container, under, cursor, ct).ConfigureAwait(false);
                result.AddRange(page.Entries.Select(e => new DeletedFile(link,
                    Path.Combine(link.Directory, e.Path.Replace('/', Path.DirectorySeparatorChar)), e)));
                cursor = page.Next;
            } while (cursor is not null);
        }
        return result;
    }

    /// <summary>
    /// Restores a retained version of a file (the newest version that differs from the current one, or seq
    /// <paramref name="seq"/>) as a new version on the server, then syncs the link so the folder has it.
    /// </summary>
    public async Task<HistoryEntry> RestoreAsync(string localPath, long? seq, ISyncObserver observer, CancellationToken ct = default)
    {
        var identity = State.RequireIdentity();
        var (link, rel) = Resolve(localPath);
        using var api = Api(identity);
        api.Retrying += observer.Retrying;
        var history = await api.GetHistoryAsync(link.VaultId, link.Container, rel, ct).ConfigureAwait(false);
        using var engine = new LinkSync(link, State.LinkStateDirectory(link), api, identity.DisplayName, fs, observer);
        await engine.PullAsync(ct).ConfigureAwait(false);
        var remote = new RemoteTreeModel(engine.Index.LoadRemote());
        var currentPath = remote.PathForKey(rel);
        var current = currentPath is null ? null : remote.Items[currentPath];
        // A put, or a move that carried the file's content (under an earlier path too: it is restored at this one).
        var puts = history.Versions.Where(v => v.Kind is OpKind.Put or OpKind.Move && v.Chunks is not null).ToList();
        var pick = seq is { } n
            ? puts.FirstOrDefault(v => v.Seq == n) ?? throw new ClientException("no_such_version", $"{rel} has no restorable file version at seq {n}; `tinysync history {localPath}` lists them")
            : puts.FirstOrDefault(v => current is null || !(v.Chunks!.SequenceEqual(current.Chunks) && v.Size == current.Size))
              ?? throw new ClientException("no_such_version", $"{rel} has no earlier version to restore; `tinysync history {localPath}` lists them");
        var ops = new List<Op>();
        for (var p = VaultPath.Parent(rel); p is not null; p = VaultPath.Parent(p))
        {
            if (remote.PathForKey(p) is null) ops.Insert(0, new Op { OpId = OpIds.New(), Kind = OpKind.Mkdir, Container = link.Container, Path = p, Base = 0 });
        }
        ops.Add(new Op
        {
            OpId = OpIds.New(), Kind = OpKind.Put, Container = link.Container, Path = currentPath ?? rel, Base = current?.Version ?? 0,
            Size = pick.Size, Chunks = pick.Chunks, Executable = pick.Executable ?? false, Mtime = pick.Mtime,
        });
        var response = await api.CommitAsync(link.VaultId, ops, ct).ConfigureAwait(false);
        var last = response.Results[^1];
        if (last.Status != OpStatus.Committed)
        {
            throw new ClientException("restore_failed", $"the server did not accept the restore of {rel} ({last.Status} {last.Code} {last.Detail}); sync and try again");
        }
        var result = await engine.SyncAsync(ct: ct).ConfigureAwait(false);
        if (!result.Converged) observer.Message(MessageLevel.Warning, $"restored on the server; the folder is not fully synced yet: {string.Join("; ", result.Pending)}");
        return pick;
    }
}
