using System.Text;
using TinySync.Core.Durability;
using TinySync.Core.Paths;

namespace TinySync.Client.FileSystem;

/// <summary>
/// A path the folder will not touch: not a valid vault path (<c>..</c>, absolute, <c>\</c>, NUL, not NFC…), or one
/// whose resolution would pass through a symbolic link or through something that is not a folder. An
/// <see cref="IOException"/>, so every engine step that can fail on the disk reports it and retries later.
/// </summary>
public sealed class PathRefusedException(string path, string reason)
    : IOException($"'{ContainedFolder.Printable(path)}' refused: {reason}")
{
    /// <summary>The relative path as asked for.</summary>
    public string RelativePath { get; } = path;

    /// <summary>Why it was refused.</summary>
    public string Reason { get; } = reason;
}

/// <summary>
/// The link's folder as the engine sees it: every call names a path RELATIVE to the link root, checked by the
/// server's own rules (<see cref="VaultPath.TryValidate"/>) and resolved without following a symbolic link in any
/// component — each folder on the way is lstat-ed and must be a real folder, and the last component is never
/// followed (<see cref="IFileSystem"/>). A symlink or a file where a folder is expected is refused with
/// <see cref="PathRefusedException"/>; nothing is read or written through it. The root itself is trusted as the user
/// linked it (it may lie under a symlink, as <c>/tmp</c> does on macOS). Decision 0419.
/// </summary>
public sealed class ContainedFolder(string root, IFileSystem disk)
{
    /// <summary>The link root (absolute).</summary>
    public string Root { get; } = Path.GetFullPath(root);

    /// <summary>The disk underneath.</summary>
    public IFileSystem Disk { get; } = disk;

    /// <summary>The absolute path of a relative one, for messages only (never to touch the disk with).</summary>
    public string Display(string rel) => rel.Length == 0 ? Root : Path.Combine(Root, Printable(rel).Replace('/', Path.DirectorySeparatorChar));

    /// <summary>A path with control characters escaped, safe to print in one line.</summary>
    public static string Printable(string path) => TinySync.Core.Text.Printable.Of(path);

    /// <summary>
    /// The absolute path of <paramref name="rel"/> once it is valid and every folder above it is a real folder.
    /// <paramref name="parentMissing"/> is set when a folder on the way does not exist (or is a file: nothing can be
    /// under it); a symlink on the way is refused.
    /// </summary>
    string Resolve(string rel, out bool parentMissing)
    {
        if (!VaultPath.TryValidate(rel, out var error)) throw new PathRefusedException(rel, error);
        parentMissing = false;
        var abs = Root;
        var start = 0;
        for (var slash = rel.IndexOf('/'); slash >= 0; start = slash + 1, slash = rel.IndexOf('/', start))
        {
            abs = Path.Combine(abs, rel[start..slash]);
            switch (Disk.Stat(abs).Kind)
            {
                case EntryKind.Directory:
                    continue;
                case EntryKind.Symlink:
                    throw new PathRefusedException(rel, $"'{Printable(rel[..slash])}' is a symbolic link; the client does not follow links");
                case EntryKind.Missing:
                    parentMissing = true;
                    return Path.Combine(Root, rel);
                default:
                    parentMissing = true; // a file where a folder should be: nothing is under it
                    return Path.Combine(Root, rel);
            }
        }
        return Path.Combine(abs, rel[start..]);
    }

    string ResolveExisting(string rel, string what)
    {
        var abs = Resolve(rel, out var parentMissing);
        if (parentMissing) throw new DirectoryNotFoundException($"cannot {what} {Display(rel)}: a folder on the way is missing or is not a folder");
        return abs;
    }

    // The entry must be exactly this kind (by lstat) before a call that would follow a link at the last component.
    string ResolveKind(string rel, EntryKind kind, string what)
    {
        var abs = ResolveExisting(rel, what);
        var actual = Disk.Stat(abs).Kind;
        if (actual == kind) return abs;
        if (actual == EntryKind.Missing) throw new FileNotFoundException($"cannot {what} {Display(rel)}: it does not exist", abs);
        throw new PathRefusedException(rel, actual == EntryKind.Symlink ? "it is a symbolic link; the client does not follow links"
            : $"expected a {(kind == EntryKind.Directory ? "folder" : "file")}, found a {actual.ToString().ToLowerInvariant()}");
    }

    /// <summary>lstat; <see cref="EntryKind.Missing"/> also when a folder on the way is missing or is a file.</summary>
    public FileStat Stat(string rel)
    {
        var abs = Resolve(rel, out var parentMissing);
        return parentMissing ? default : Disk.Stat(abs);
    }

    /// <summary>
    /// lstat of an entry the scanner just listed in <paramref name="dirRel"/> (checked by <see cref="List"/>), by its
    /// name as the disk spells it — which need not be a valid vault name yet (the scanner reports those).
    /// </summary>
    public FileStat StatEntry(string dirRel, string rawName)
    {
        if (rawName.Length == 0 || rawName is "." or ".." || rawName.Contains('/') || rawName.Contains('\0') || rawName.Contains(Path.DirectorySeparatorChar))
        {
            throw new PathRefusedException(VaultPath.Combine(dirRel, rawName), "not a single file name");
        }
        return Disk.Stat(Path.Combine(dirRel.Length == 0 ? Root : ResolveKind(dirRel, EntryKind.Directory, "read"), rawName));
    }

    /// <summary>The names in a folder (<c>""</c> is the root); refused when it is a symlink.</summary>
    public IEnumerable<string> List(string dirRel) =>
        Disk.List(dirRel.Length == 0 ? Root : ResolveKind(dirRel, EntryKind.Directory, "read"));

    /// <summary>Opens a regular file for reading (never through a link).</summary>
    public Stream OpenRead(string rel) => Disk.OpenRead(ResolveExisting(rel, "read"));

    /// <summary>Creates a new file; its folder must exist (see <see cref="CreateDirectory"/>).</summary>
    public Stream CreateNew(string rel) => Disk.CreateNew(ResolveExisting(rel, "create"));

    /// <summary>fsync of a written file.</summary>
    public void Flush(Stream stream) => Disk.Flush(stream);

    /// <summary>Renames an entry (a folder, a file) within the link; both sides are checked.</summary>
    public void Rename(string fromRel, string toRel, bool overwrite) =>
        Disk.Rename(ResolveExisting(fromRel, "rename"), ResolveExisting(toRel, "rename into"), overwrite);

    /// <summary>Makes a folder's entries durable (<c>""</c> is the root).</summary>
    public void FlushDirectory(string dirRel) => Disk.FlushDirectory(dirRel.Length == 0 ? Root : ResolveKind(dirRel, EntryKind.Directory, "flush"));

    /// <summary>Starts a batch of durable writes in this folder's file system (<see cref="IFileSystem.BeginDurability"/>).</summary>
    public IDurabilityBatch BeginDurability(DurabilityBarrier barrier) => Disk.BeginDurability(Root, barrier);

    /// <summary>The data barrier of <paramref name="batch"/> over these files (written and closed since it began).</summary>
    public void FlushFiles(IDurabilityBatch batch, IEnumerable<string> rels, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(batch);
        batch.FlushFiles([.. rels.Select(r => ResolveKind(r, EntryKind.File, "flush"))], ct);
    }

    /// <summary>The directory barrier of <paramref name="batch"/> over these folders (<c>""</c> is the root).</summary>
    public void FlushDirectories(IDurabilityBatch batch, IEnumerable<string> dirRels, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(batch);
        batch.FlushDirectories([.. dirRels.Select(d => d.Length == 0 ? Root : ResolveKind(d, EntryKind.Directory, "flush"))], ct);
    }

    /// <summary>Makes the folder holding <paramref name="rel"/> durable.</summary>
    public void FlushParent(string rel) => FlushDirectory(VaultPath.Parent(rel) ?? "");

    /// <summary>Deletes a file; nothing when it is already gone. A folder is refused (use <see cref="DeleteEmptyDirectory"/>).</summary>
    public void DeleteFile(string rel)
    {
        var abs = Resolve(rel, out var parentMissing);
        if (parentMissing) return;
        if (Disk.Stat(abs).Kind == EntryKind.Directory) throw new PathRefusedException(rel, "it is a folder, not a file");
        Disk.DeleteFile(abs);
    }

    /// <summary>
    /// Creates a folder and the missing ones above it, one level at a time, each checked and each made durable in its
    /// parent before the next step (so the index never records what is inside a folder a power cut could take away).
    /// </summary>
    public void CreateDirectory(string rel)
    {
        if (!VaultPath.TryValidate(rel, out var error)) throw new PathRefusedException(rel, error);
        var at = -1;
        do
        {
            at = rel.IndexOf('/', at + 1);
            var prefix = at < 0 ? rel : rel[..at];
            var abs = Path.Combine(Root, prefix);
            var kind = Disk.Stat(abs).Kind;
            if (kind == EntryKind.Missing)
            {
                Disk.CreateDirectory(abs);
                kind = Disk.Stat(abs).Kind;
                if (kind == EntryKind.Directory) FlushParent(prefix);
            }
            if (kind == EntryKind.Directory) continue;
            throw new PathRefusedException(rel, kind == EntryKind.Symlink
                ? $"'{Printable(prefix)}' is a symbolic link; the client does not follow links"
                : $"'{Printable(prefix)}' is a {kind.ToString().ToLowerInvariant()}, not a folder");
        }
        while (at >= 0);
    }

    /// <summary>Removes an empty folder (true), or leaves a non-empty one (false); a symlink is refused.</summary>
    public bool DeleteEmptyDirectory(string rel)
    {
        var abs = Resolve(rel, out var parentMissing);
        if (parentMissing) return true;
        var kind = Disk.Stat(abs).Kind;
        if (kind == EntryKind.Missing) return true;
        if (kind != EntryKind.Directory) throw new PathRefusedException(rel, $"it is a {kind.ToString().ToLowerInvariant()}, not a folder");
        return Disk.DeleteEmptyDirectory(abs);
    }

    /// <summary>Sets or clears the execute bits of a file.</summary>
    public void SetExecutable(string rel, bool executable) => Disk.SetExecutable(ResolveKind(rel, EntryKind.File, "change"), executable);

    /// <summary>Sets the permission bits of a file.</summary>
    public void SetMode(string rel, UnixFileMode mode) => Disk.SetMode(ResolveKind(rel, EntryKind.File, "change"), mode);

    /// <summary>Sets the modification time of a file.</summary>
    public void SetMtime(string rel, DateTimeOffset mtime) => Disk.SetMtime(ResolveKind(rel, EntryKind.File, "change"), mtime);

    /// <summary>
    /// Gives a freshly written file (a download's temp file) the mode it should have once it replaces
    /// <paramref name="replacing"/>: that file's own bits (a remote update does not reset a local <c>chmod 600</c>),
    /// with the execute bit the server says; or the default mode with that bit for a new file.
    /// </summary>
    public void SetModeFor(string rel, bool executable, FileStat? replacing)
    {
        if (OperatingSystem.IsWindows()) return;
        if (replacing is { Kind: EntryKind.File, Mode: var mode }) // 0 is a real mode here (chmod 000): kept too
        {
            SetMode(rel, (mode & UnixFileMode.UserExecute) != 0 == executable ? mode : Modes.WithExecutable(mode, executable));
        }
        else
        {
            SetExecutable(rel, executable);
        }
    }
}
