using TinySync.Client.Api;
using TinySync.Client.FileSystem;
using TinySync.Client.Index;
using TinySync.Client.State;
using TinySync.Core.Contracts;

namespace TinySync.Client.Engine;

/// <summary>
/// What every stage of one link's sync shares: the link, the server, the folder (every disk call, by path relative
/// to the link root; decision 0419), the index, the observer and counters, and the round's pending list.
/// </summary>
internal sealed class LinkContext(Link link, IDeviceApi api, ContainedFolder fs, LinkIndex index, ISyncObserver observer,
    SyncStats stats, PendingList pending)
{
    public Link Link { get; } = link;
    public IDeviceApi Api { get; } = api;
    public ContainedFolder Fs { get; } = fs;
    public LinkIndex Index { get; } = index;
    public ISyncObserver Observer { get; } = observer;
    public SyncStats Stats { get; } = stats;

    /// <summary>Serializes index writes of stages that run side by side (download groups and large files).</summary>
    public Lock IndexLock { get; } = new();

    /// <summary>The link's folder.</summary>
    public string Root => Link.Directory;

    /// <summary>A path as shown in messages.</summary>
    public string Abs(string rel) => Fs.Display(rel);

    /// <summary>Adds a line to what the round leaves to do.</summary>
    public void Pending(string line) => pending.Add(line);

    /// <summary>Deletes a file, quietly: a temp file that stays is found and removed by a later scan.</summary>
    public void TryDelete(string rel)
    {
        try { Fs.DeleteFile(rel); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>The stat a local record was scanned with, to check that the disk still holds it.</summary>
    public static FileStat StatOf(LocalState l) =>
        new(l.Kind == ItemKind.Dir ? EntryKind.Directory : EntryKind.File, l.Kind == ItemKind.Dir ? 0 : l.Size, l.MtimeNs, l.Inode, l.Executable);

    /// <summary>Slashes in a vault path (its depth).</summary>
    public static int Depth(string path) => path.Count(c => c == '/');
}
