using Microsoft.Data.Sqlite;
using TinySync.Client.State;

namespace TinySync.Client.Index;

/// <summary>Why the index could not be opened or written, when the reason is not corruption (decision 0715).</summary>
public enum IndexProblem
{
    /// <summary>The file system holding the state directory is full (SQLITE_FULL, ENOSPC).</summary>
    DiskFull,
    /// <summary>Another process holds the index (SQLITE_BUSY, SQLITE_LOCKED).</summary>
    Busy,
    /// <summary>The index or its directory is read-only (SQLITE_READONLY, EROFS).</summary>
    ReadOnly,
    /// <summary>Permission denied (SQLITE_PERM, SQLITE_CANTOPEN, EACCES).</summary>
    Permission,
    /// <summary>Any other I/O error (SQLITE_IOERR, EIO, ...).</summary>
    Io,
}

/// <summary>
/// The index is unavailable for a reason that is not corruption: reported as what it is, the index left in place. A
/// full disk or a busy index is worth retrying later (<see cref="RetryLater"/>); the others need the user.
/// </summary>
public sealed class IndexUnavailableException(IndexProblem problem, string message, Exception inner)
    : ClientException("index_" + problem.ToString().ToLowerInvariant(), message, inner)
{
    /// <summary>What went wrong.</summary>
    public IndexProblem Problem { get; } = problem;

    /// <summary>True when running again later is the next step (disk full, busy).</summary>
    public bool RetryLater => Problem is IndexProblem.DiskFull or IndexProblem.Busy;
}

/// <summary>Tells SQLite and file-system failures of the index apart.</summary>
public static class IndexFailure
{
    const int SqlitePerm = 3, SqliteBusy = 5, SqliteLocked = 6, SqliteReadOnly = 8, SqliteIoErr = 10,
        SqliteCorrupt = 11, SqliteFull = 13, SqliteCantOpen = 14, SqliteAuth = 23, SqliteNotADb = 26;
    const int Enospc = 28, Erofs = 30, Eacces = 13, Eperm = 1;

    /// <summary>True for the errors that mean the file's content is damaged or not a database at all.</summary>
    public static bool IsCorruption(SqliteException e) => (e.SqliteErrorCode & 0xff) is SqliteCorrupt or SqliteNotADb;

    /// <summary>What kind of problem <paramref name="e"/> is.</summary>
    public static IndexProblem Classify(Exception e) => e switch
    {
        SqliteException s => (s.SqliteErrorCode & 0xff) switch
        {
            SqliteFull => IndexProblem.DiskFull,
            SqliteBusy or SqliteLocked => IndexProblem.Busy,
            SqliteReadOnly => IndexProblem.ReadOnly,
            SqlitePerm or SqliteAuth or SqliteCantOpen => IndexProblem.Permission,
            _ => IndexProblem.Io,
        },
        UnauthorizedAccessException => IndexProblem.Permission,
        IOException io => (io.HResult & 0xffff) switch
        {
            Enospc => IndexProblem.DiskFull,
            Erofs => IndexProblem.ReadOnly,
            Eacces or Eperm => IndexProblem.Permission,
            _ => IndexProblem.Io,
        },
        _ => IndexProblem.Io,
    };

    /// <summary>One line that says what happened to the index in <paramref name="directory"/> and what to do.</summary>
    public static IndexUnavailableException Describe(string directory, Exception e)
    {
        var problem = Classify(e);
        // SQLite reports a full disk as an I/O error when it is the WAL index (-shm) that cannot grow
        if (problem == IndexProblem.Io && IsFull(directory)) problem = IndexProblem.DiskFull;
        var detail = e is SqliteException s ? $"{FirstLine(s.Message)}, extended code {s.SqliteExtendedErrorCode}" : FirstLine(e.Message);
        var message = problem switch
        {
            IndexProblem.DiskFull => $"the disk holding {directory} is full, so this link's index cannot be written ({detail}); free some space and run `tinysync sync` again (the index is intact; the daemon retries by itself)",
            IndexProblem.Busy => $"the index in {directory} is in use by another tinysync process ({detail}); a running `tinysync daemon` syncs by itself, or try again when it is done",
            IndexProblem.ReadOnly => $"the index in {directory} is read-only ({detail}); make the state directory writable or choose another with --home",
            IndexProblem.Permission => $"permission denied on the index in {directory} ({detail}); fix its permissions or choose another state directory with --home",
            _ => $"I/O error on the index in {directory} ({detail}); check the disk, then run `tinysync sync` again",
        };
        return new IndexUnavailableException(problem, message, e);
    }

    /// <summary>True when the file system holding <paramref name="directory"/> has (almost) no space left.</summary>
    static bool IsFull(string directory)
    {
        try
        {
            return new DriveInfo(directory).AvailableFreeSpace < 64 * 1024;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return false;
        }
    }

    static string FirstLine(string s)
    {
        var i = s.IndexOfAny(['\r', '\n']);
        return (i < 0 ? s : s[..i]).TrimEnd('.');
    }
}
