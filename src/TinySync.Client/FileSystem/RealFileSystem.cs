using System.Runtime.InteropServices;

namespace TinySync.Client.FileSystem;

/// <summary>The real disk. On Linux a single <c>statx</c> gives size, mtime, mode and inode without following links.</summary>
public sealed partial class RealFileSystem : IFileSystem
{
    /// <summary>The shared instance.</summary>
    public static RealFileSystem Instance { get; } = new();

    static readonly bool HasStatx = OperatingSystem.IsLinux();

    /// <inheritdoc/>
    public FileStat Stat(string path)
    {
        if (HasStatx)
        {
            try
            {
                return StatLinux(path);
            }
            catch (EntryPointNotFoundException) { }
            catch (DllNotFoundException) { }
        }
        return StatPortable(path);
    }

    static unsafe FileStat StatLinux(string path)
    {
        const int AtSymlinkNoFollow = 0x100, StatxBasicStats = 0x7ff;
        var buffer = stackalloc byte[256];
        if (statx(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats, buffer) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno is 2 or 20) return new FileStat(EntryKind.Missing, 0, 0, 0, false); // ENOENT, ENOTDIR
            if (errno == 13) throw new UnauthorizedAccessException($"permission denied: {path}");
            throw new IOException($"statx failed with errno {errno}: {path}");
        }
        var mode = *(ushort*)(buffer + 28);
        var ino = *(ulong*)(buffer + 32);
        var size = *(long*)(buffer + 40);
        var mtimeSec = *(long*)(buffer + 112);
        var mtimeNsec = *(uint*)(buffer + 120);
        var kind = (mode & 0xF000) switch
        {
            0x8000 => EntryKind.File,
            0x4000 => EntryKind.Directory,
            0xA000 => EntryKind.Symlink,
            _ => EntryKind.Other,
        };
        return new FileStat(kind, kind == EntryKind.File ? size : 0, mtimeSec * 1_000_000_000 + mtimeNsec, ino, (mode & 0x40) != 0,
            (UnixFileMode)(mode & 0xFFF));
    }

    // The inode of an open descriptor (statx with AT_EMPTY_PATH), 0 when unknown.
    static unsafe ulong InodeOf(Microsoft.Win32.SafeHandles.SafeFileHandle handle)
    {
        if (!HasStatx) return 0;
        const int AtEmptyPath = 0x1000, StatxIno = 0x100;
        var buffer = stackalloc byte[256];
        var added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            return statx((int)handle.DangerousGetHandle(), "", AtEmptyPath, StatxIno, buffer) == 0 ? *(ulong*)(buffer + 32) : 0;
        }
        catch (EntryPointNotFoundException) { return 0; }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    /// <inheritdoc/>
    public void FlushDirectory(string directory)
    {
        if (OperatingSystem.IsWindows()) return; // NTFS journals the rename itself; directories cannot be flushed
        var fd = open(directory, 0 /* O_RDONLY */);
        if (fd < 0) throw new IOException($"cannot open {directory} to make its entries durable (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (fsync(fd) != 0) throw new IOException($"cannot make the entries of {directory} durable (errno {Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            _ = close(fd);
        }
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fsync(int fd);

    [LibraryImport("libc")]
    private static partial int close(int fd);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int statx(int dirfd, string path, int flags, int mask, byte* buffer);

    static FileStat StatPortable(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not null && info.Exists) return new FileStat(EntryKind.Symlink, 0, 0, 0, false);
        if (info.Exists)
        {
            var mode = OperatingSystem.IsWindows() ? 0 : info.UnixFileMode;
            return new FileStat(EntryKind.File, info.Length, ToNs(info.LastWriteTimeUtc), 0, (mode & UnixFileMode.UserExecute) != 0, mode);
        }
        var dir = new DirectoryInfo(path);
        if (dir.Exists)
        {
            return dir.LinkTarget is not null ? new FileStat(EntryKind.Symlink, 0, 0, 0, false)
                : new FileStat(EntryKind.Directory, 0, ToNs(dir.LastWriteTimeUtc), 0, false);
        }
        return new FileStat(EntryKind.Missing, 0, 0, 0, false);
    }

    static long ToNs(DateTime utc) => (utc.Ticks - DateTime.UnixEpoch.Ticks) * 100;

    /// <inheritdoc/>
    public IEnumerable<string> List(string directory)
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries(directory))
        {
            yield return Path.GetFileName(entry);
        }
    }

    /// <summary>
    /// Opens a regular file for reading, never through a symbolic link: the entry must be a file by lstat before the
    /// open, and on Linux the opened descriptor must be that same inode after it (a link swapped in between is caught).
    /// </summary>
    public Stream OpenRead(string path)
    {
        var before = Stat(path);
        if (before.Kind == EntryKind.Symlink) throw new IOException($"{path} is a symbolic link; not followed");
        if (before.Kind == EntryKind.Missing) throw new FileNotFoundException($"{path} does not exist", path);
        if (before.Kind != EntryKind.File) throw new IOException($"{path} is not a regular file");
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
        if (before.Inode != 0 && InodeOf(stream.SafeFileHandle) is var opened and not 0 && opened != before.Inode)
        {
            stream.Dispose();
            throw new IOException($"{path} was replaced while it was opened; not followed");
        }
        return stream;
    }

    /// <inheritdoc/>
    public Stream CreateNew(string path) => new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1);

    /// <inheritdoc/>
    public void Flush(Stream stream)
    {
        if (stream is FileStream fs) fs.Flush(flushToDisk: true);
        else stream.Flush();
    }

    /// <summary>
    /// rename(2) of the entry itself (a symbolic link is renamed, never followed). Without <paramref name="overwrite"/>
    /// an existing target fails (renameat2 RENAME_NOREPLACE on Linux, so nothing can appear in between).
    /// </summary>
    public void Rename(string from, string to, bool overwrite)
    {
        if (OperatingSystem.IsLinux())
        {
            try
            {
                if (renameat2(AtFdCwd, from, AtFdCwd, to, overwrite ? 0u : 1u /* RENAME_NOREPLACE */) == 0) return;
                var errno = Marshal.GetLastPInvokeError();
                if (errno is not (22 or 38)) throw Errno.ToException(errno, $"cannot rename {from} to {to}", from); // EINVAL, ENOSYS: no flags support
            }
            catch (EntryPointNotFoundException) { }
        }
        if (!overwrite && Stat(to).Kind != EntryKind.Missing) throw new IOException($"cannot rename {from} to {to}: the target exists");
        if (Stat(from).Kind == EntryKind.Directory) Directory.Move(from, to);
        else File.Move(from, to, overwrite);
    }

    const int AtFdCwd = -100;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int renameat2(int olddirfd, string oldpath, int newdirfd, string newpath, uint flags);

    /// <inheritdoc/>
    public void DeleteFile(string path) => File.Delete(path);

    /// <inheritdoc/>
    public void CreateDirectory(string path) => Directory.CreateDirectory(path);

    /// <inheritdoc/>
    public bool DeleteEmptyDirectory(string path)
    {
        var kind = Stat(path).Kind;
        if (kind == EntryKind.Missing) return true;
        if (kind != EntryKind.Directory) throw new IOException($"{path} is not a folder (a {kind.ToString().ToLowerInvariant()}); not removed");
        if (Directory.EnumerateFileSystemEntries(path).Any()) return false;
        Directory.Delete(path);
        return true;
    }

    /// <inheritdoc/>
    public void SetExecutable(string path, bool executable)
    {
        if (OperatingSystem.IsWindows()) return;
        var mode = File.GetUnixFileMode(path);
        var next = Modes.WithExecutable(mode, executable);
        if (next != mode) File.SetUnixFileMode(path, next);
    }

    /// <inheritdoc/>
    public void SetMode(string path, UnixFileMode mode)
    {
        if (OperatingSystem.IsWindows()) return;
        if (File.GetUnixFileMode(path) != mode) File.SetUnixFileMode(path, mode);
    }

    /// <inheritdoc/>
    public void SetMtime(string path, DateTimeOffset mtime) => File.SetLastWriteTimeUtc(path, mtime.UtcDateTime);
}
