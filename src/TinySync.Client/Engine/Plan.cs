using TinySync.Client.Index;
using TinySync.Core.Contracts;

namespace TinySync.Client.Engine;

/// <summary>What to do about one path. Produced by <see cref="Planner"/>, carried out by <see cref="PlanExecutor"/>.</summary>
public abstract record SyncAction(string Path);

/// <summary>Upload: create or replace a file on the server.</summary>
public sealed record UploadPut(string Path, long Base, LocalState Local) : SyncAction(Path);

/// <summary>Upload: create a directory on the server.</summary>
public sealed record UploadMkdir(string Path, long Base) : SyncAction(Path);

/// <summary>Upload: delete an item (and, for a directory, its subtree) on the server.</summary>
public sealed record UploadDelete(string Path, long Base, ItemKind Kind) : SyncAction(Path);

/// <summary>Upload: a local rename or directory move, sent as one <c>move</c> (no re-upload).</summary>
public sealed record UploadMove(string Path, string NewPath, long Base) : SyncAction(Path);

/// <summary>Download a remote file into place, only if the local file still is <paramref name="Expected"/>.</summary>
public sealed record Download(string Path, ItemState Remote, LocalState? Expected) : SyncAction(Path);

/// <summary>Create a local directory the server has.</summary>
public sealed record LocalMkdir(string Path, ItemState Remote) : SyncAction(Path);

/// <summary>
/// Delete a local item the server deleted, only if it still is <paramref name="Expected"/>; or, when
/// <paramref name="Unselected"/>, one the selection leaves out (the server keeps it; decision 0453).
/// </summary>
public sealed record LocalDelete(string Path, LocalState Expected, bool Unselected = false) : SyncAction(Path);

/// <summary>Both sides changed: rename the local copy to <paramref name="NewPath"/> (it then syncs as a new file).</summary>
public sealed record ConflictRename(string Path, string NewPath, LocalState Expected, string Reason) : SyncAction(Path);

/// <summary>
/// The server renamed a file and the old name here still holds the same content: move <paramref name="Path"/> (if still
/// <paramref name="Expected"/>) to <paramref name="NewPath"/> instead of deleting it and downloading the new name.
/// When the disk no longer allows the move, the executor carries out <see cref="AsDownload"/> and
/// <see cref="AsDelete"/> instead.
/// </summary>
public sealed record LocalMove(string Path, string NewPath, LocalState Expected, ItemState Remote) : SyncAction(Path)
{
    /// <summary>The download of the new name this move stands for.</summary>
    public Download AsDownload() => new(NewPath, Remote, null);

    /// <summary>The delete of the old name this move stands for.</summary>
    public LocalDelete AsDelete() => new(Path, Expected);
}

/// <summary>Both sides agree: record <paramref name="Remote"/> as the synced base (or forget the base when null).</summary>
public sealed record AdoptBase(string Path, ItemState? Remote) : SyncAction(Path);

/// <summary>The actions of one planning round, as the <see cref="Planner"/> decided them (read-only from then on).</summary>
public sealed class Plan(IReadOnlyList<SyncAction> actions)
{
    /// <summary>An empty plan.</summary>
    public Plan() : this([]) { }

    /// <summary>All actions.</summary>
    public IReadOnlyList<SyncAction> Actions { get; } = actions;

    /// <summary>The plan without the actions <paramref name="drop"/> selects.</summary>
    public Plan Without(Func<SyncAction, bool> drop) => new([.. Actions.Where(a => !drop(a))]);

    /// <summary>True when nothing is to be done.</summary>
    public bool IsEmpty => Actions.Count == 0;

    /// <summary>Actions of one type.</summary>
    public IEnumerable<T> Of<T>() where T : SyncAction => Actions.OfType<T>();

    /// <inheritdoc/>
    public override string ToString() => string.Join("\n", Actions);
}
