using System.Runtime.InteropServices;

namespace TinySync.Core.Durability;

// libc calls .NET does not offer: directory fsync, writeback hints and syncfs. Unix only; callers check the platform.
static class DurabilityNative
{
    const int ReadOnlyDirectory = 0x10000; // O_RDONLY | O_DIRECTORY (Linux); plain O_RDONLY elsewhere
    const int ReadOnly = 0;

    // Opens a directory (or file) read-only for fsync/syncfs; throws IOException naming it when it cannot.
    internal static int OpenForFlush(string path, bool directory)
    {
        var fd = Open(System.Text.Encoding.UTF8.GetBytes(path + "\0"), directory && OperatingSystem.IsLinux() ? ReadOnlyDirectory : ReadOnly);
        if (fd < 0) throw new IOException($"cannot open {path} to flush it (errno {Marshal.GetLastPInvokeError()})");
        return fd;
    }

    internal static void FsyncOrThrow(int fd, string path)
    {
        if (Fsync(fd) != 0) throw new IOException($"cannot flush {path} (errno {Marshal.GetLastPInvokeError()})");
    }

    internal static void SyncFsOrThrow(int fd, string path)
    {
        if (SyncFs(fd) != 0) throw new IOException($"cannot flush the file system of {path} (errno {Marshal.GetLastPInvokeError()})");
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    static extern int Open(byte[] path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    static extern int Fsync(int fd);

    [DllImport("libc", EntryPoint = "syncfs", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    static extern int SyncFs(int fd);

    [DllImport("libc", EntryPoint = "close")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    internal static extern int Close(int fd);

    [DllImport("libc", EntryPoint = "sync_file_range")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    internal static extern int SyncFileRange(int fd, long offset, long count, uint flags);
}
