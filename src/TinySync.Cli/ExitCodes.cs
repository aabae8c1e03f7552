namespace TinySync.Cli;

/// <summary>Process exit codes (documented in docs/client.md).</summary>
public static class ExitCodes
{
    /// <summary>Success; for sync, every link converged.</summary>
    public const int Ok = 0;
    /// <summary>An error: the message says what to do.</summary>
    public const int Error = 1;
    /// <summary>Bad command line.</summary>
    public const int Usage = 2;
    /// <summary>Not converged: something is left to do (server unreachable, files skipped); run again later.</summary>
    public const int NotConverged = 3;
    /// <summary>Not authorized: no identity, or the device was revoked / its token is unknown; register or log in again.</summary>
    public const int Auth = 4;
}
