namespace TinySync.Client.FileSystem;

/// <summary>Turns a POSIX errno into the exception .NET would throw for it (the engine tells these apart).</summary>
static class Errno
{
    public static Exception ToException(int errno, string what, string path) => errno switch
    {
        1 or 13 => new UnauthorizedAccessException($"{what}: permission denied"), // EPERM, EACCES
        2 => new FileNotFoundException($"{what}: no such file or folder", path), // ENOENT
        28 => new IOException($"{what}: no space left on device", 28), // ENOSPC
        17 => new IOException($"{what}: the target exists", 17), // EEXIST
        _ => new IOException($"{what} (errno {errno})", errno),
    };
}

/// <summary>Permission bits: only the execute bit is synced state; every other bit of a local file stays local.</summary>
public static class Modes
{
    const UnixFileMode AllExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    /// <summary>
    /// <paramref name="mode"/> with the execute bits set (owner always; group and other where they may read) or
    /// cleared, the other bits unchanged.
    /// </summary>
    public static UnixFileMode WithExecutable(UnixFileMode mode, bool executable)
    {
        var next = mode & ~AllExecute;
        if (!executable) return next;
        next |= UnixFileMode.UserExecute;
        if ((mode & UnixFileMode.GroupRead) != 0) next |= UnixFileMode.GroupExecute;
        if ((mode & UnixFileMode.OtherRead) != 0) next |= UnixFileMode.OtherExecute;
        return next;
    }
}
