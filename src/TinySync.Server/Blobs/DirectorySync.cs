using System.Runtime.InteropServices;

namespace TinySync.Server.Blobs;

/// <summary>
/// Makes a directory's entries durable: what was created, renamed or removed in it survives a crash once
/// <see cref="Flush"/> returns. Throws when the directory cannot be opened or flushed; a chunk store then acknowledges
/// nothing that depends on it (decision 0320). The seam where tests inject a disk that fails.
/// </summary>
public interface IDirectorySync
{
    /// <summary>Flushes the entries of <paramref name="directory"/>; throws <see cref="IOException"/> when it cannot.</summary>
    void Flush(string directory);
}

/// <summary><c>open(O_RDONLY | O_DIRECTORY)</c> + <c>fsync</c> on Unix; nothing on Windows, where renames are flushed with the file.</summary>
public sealed class FsyncDirectorySync : IDirectorySync
{
    /// <summary>The one instance.</summary>
    public static readonly FsyncDirectorySync Instance = new();

    /// <inheritdoc />
    public void Flush(string directory)
    {
        if (OperatingSystem.IsWindows()) return;
        const int ReadOnlyDirectory = 0x10000; // O_RDONLY | O_DIRECTORY (Linux)
        var fd = Native.Open(System.Text.Encoding.UTF8.GetBytes(directory + "\0"), OperatingSystem.IsLinux() ? ReadOnlyDirectory : 0);
        if (fd < 0) throw new IOException($"cannot open the directory {directory} to flush it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (Native.Fsync(fd) != 0) throw new IOException($"cannot flush the directory {directory} (errno {Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            _ = Native.Close(fd);
        }
    }

    static class Native
    {
        [DllImport("libc", EntryPoint = "open", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        internal static extern int Open(byte[] path, int flags);

        [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        internal static extern int Fsync(int fd);

        [DllImport("libc", EntryPoint = "close")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        internal static extern int Close(int fd);
    }
}
