using TinySync.Core.Durability;

namespace TinySync.Client.FileSystem;

/// <summary>What the scanner knows about one directory entry (lstat: symlinks are not followed).</summary>
/// <param name="Kind">File, directory, symlink or something else.</param>
/// <param name="Size">Size in bytes (files).</param>
/// <param name="MtimeNs">Modification time in nanoseconds since the Unix epoch.</param>
/// <param name="Inode">Inode number, 0 when the platform does not expose one.</param>
/// <param name="Executable">The owner's execute bit (files).</param>
/// <param name="Mode">The permission bits (<c>rwxrwxrwx</c> plus setuid, setgid, sticky); 0 where the platform has none.
/// Not part of <see cref="SameAs"/>: only the execute bit is synced state, the rest stays local.</param>
public readonly record struct FileStat(EntryKind Kind, long Size, long MtimeNs, ulong Inode, bool Executable, UnixFileMode Mode = 0)
{
    /// <summary>True when size, mtime and inode are all equal: the scanner's "unchanged" test.</summary>
    public bool SameAs(FileStat other) =>
        Kind == other.Kind && Size == other.Size && MtimeNs == other.MtimeNs && Inode == other.Inode && Executable == other.Executable;
}

/// <summary>Kinds of directory entry.</summary>
public enum EntryKind
{
    /// <summary>Nothing at that path.</summary>
    Missing,
    /// <summary>A regular file.</summary>
    File,
    /// <summary>A directory.</summary>
    Directory,
    /// <summary>A symbolic link (never followed).</summary>
    Symlink,
    /// <summary>A device, socket or FIFO.</summary>
    Other,
}

/// <summary>
/// The disk, by absolute OS path: the layer under <see cref="ContainedFolder"/>, which is the engine's only way to
/// reach it (every engine call names a path relative to the link root, and the folder checks it first). The real
/// implementation is <see cref="RealFileSystem"/>; tests stack a fault-injecting decorator on it (disk full,
/// permission denied, a file changing under the scanner). No method follows a symbolic link in the LAST component
/// (stat is lstat, opens refuse a link, rename and delete act on the link itself); the components above it are the
/// folder's to check.
/// </summary>
public interface IFileSystem
{
    /// <summary>lstat of a path; <see cref="EntryKind.Missing"/> when nothing is there.</summary>
    FileStat Stat(string path);

    /// <summary>The names of the entries of a directory.</summary>
    IEnumerable<string> List(string directory);

    /// <summary>Opens a file for reading (shared read/write so a file being edited can still be hashed).</summary>
    Stream OpenRead(string path);

    /// <summary>Creates a new file for writing; fails if it exists.</summary>
    Stream CreateNew(string path);

    /// <summary>Flushes a written file to stable storage (fsync).</summary>
    void Flush(Stream stream);

    /// <summary>Atomically renames, replacing the target if <paramref name="overwrite"/>.</summary>
    void Rename(string from, string to, bool overwrite);

    /// <summary>
    /// Makes a directory's entries durable (fsync of the directory), so renames into it survive a power loss before
    /// the index records them. The default does nothing, for file systems without the notion.
    /// </summary>
    void FlushDirectory(string directory) { }

    /// <summary>
    /// Starts a batch of durable writes on the file system that holds <paramref name="directory"/> (decisions 0015,
    /// 0443): its barriers make every file written after this call durable at once, raised the way
    /// <paramref name="barrier"/> says. The default is the real disk's (<see cref="OsFileDurability"/>); a decorator
    /// that injects faults or records the order wraps it.
    /// </summary>
    IDurabilityBatch BeginDurability(string directory, DurabilityBarrier barrier) => OsFileDurability.For(barrier).Begin(directory);

    /// <summary>Deletes a file; no error when it is already gone.</summary>
    void DeleteFile(string path);

    /// <summary>Creates a directory and its parents.</summary>
    void CreateDirectory(string path);

    /// <summary>Removes an empty directory; false when it is not empty.</summary>
    bool DeleteEmptyDirectory(string path);

    /// <summary>Sets or clears the execute bits (owner, group, other follow the read bits).</summary>
    void SetExecutable(string path, bool executable);

    /// <summary>Sets the permission bits (a download keeps the mode of the file it replaces).</summary>
    void SetMode(string path, UnixFileMode mode);

    /// <summary>Sets the modification time.</summary>
    void SetMtime(string path, DateTimeOffset mtime);
}
