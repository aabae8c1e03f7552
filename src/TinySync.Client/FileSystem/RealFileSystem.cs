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
        const int AtFdCwd = -100, AtSymlinkNoFollow = 0x100, StatxBasicStats = 0x7ff;
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
        return new FileStat(kind, kind == EntryKind.File ? size : 0, mtimeSec * 1_000_000_000 + mtimeNsec, ino, (mode & 0x40) != 0);
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
            var exec = !OperatingSystem.IsWindows() && (info.UnixFileMode & UnixFileMode.UserExecute) != 0;
            return new FileStat(EntryKind.File, info.Length, ToNs(info.LastWriteTimeUtc), 0, exec);
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

    /// <inheritdoc/>
    public Stream OpenRead(string path) =>
        new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);

    /// <inheritdoc/>
    public Stream CreateNew(string path) => new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1);

    /// <inheritdoc/>
    public void Flush(Stream stream)
    {
        if (stream is FileStream fs) fs.Flush(flushToDisk: true);
        else stream.Flush();
    }

    /// <inheritdoc/>
    public void Rename(string from, string to, bool overwrite)
    {
        if (Directory.Exists(from) && !File.Exists(from)) Directory.Move(from, to);
        else File.Move(from, to, overwrite);
    }

    /// <inheritdoc/>
    public void DeleteFile(string path) => File.Delete(path);

    /// <inheritdoc/>
    public void CreateDirectory(string path) => Directory.CreateDirectory(path);

    /// <inheritdoc/>
    public bool DeleteEmptyDirectory(string path)
    {
        if (!Directory.Exists(path)) return true;
        if (Directory.EnumerateFileSystemEntries(path).Any()) return false;
        Directory.Delete(path);
        return true;
    }

    /// <inheritdoc/>
    public void SetExecutable(string path, bool executable)
    {
        if (OperatingSystem.IsWindows()) return;
        var mode = File.GetUnixFileMode(path);
        const UnixFileMode allExec = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        var next = mode & ~allExec;
        if (executable)
        {
            next |= UnixFileMode.UserExecute;
            if ((mode & UnixFileMode.GroupRead) != 0) next |= UnixFileMode.GroupExecute;
            if ((mode & UnixFileMode.OtherRead) != 0) next |= UnixFileMode.OtherExecute;
        }
        if (next != mode) File.SetUnixFileMode(path, next);
    }

    /// <inheritdoc/>
    public void SetMtime(string path, DateTimeOffset mtime) => File.SetLastWriteTimeUtc(path, mtime.UtcDateTime);
}
