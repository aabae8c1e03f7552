namespace TinySync.Server.Observability;

// Vault sync logging: ids 300-349 so parallel work on Log.cs never collides.
internal static partial class Log
{
    [LoggerMessage(301, LogLevel.Error,
        "Stored chunk {Hash} failed verification after {Sent} bytes were sent; the response was aborted so the client cannot accept it")]
    public static partial void ChunkCorruptedMidResponse(ILogger logger, string hash, long sent);

    [LoggerMessage(302, LogLevel.Error,
        "Stored chunk {Hash} does not match its hash; moved to the chunk store's quarantine. The next upload of it by a device that has the file repairs it; otherwise restore it from backup")]
    public static partial void ChunkQuarantined(ILogger logger, string hash);

    [LoggerMessage(303, LogLevel.Error,
        "Stored chunk {Hash} does not match its hash and could not be moved to quarantine ({Reason}); it is not served. Move or restore it by hand")]
    public static partial void ChunkQuarantineFailed(ILogger logger, string hash, string reason);
}
