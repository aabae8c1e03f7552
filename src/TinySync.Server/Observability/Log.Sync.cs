namespace TinySync.Server.Observability;

// Vault sync logging: ids 300-349 so parallel work on Log.cs never collides.
internal static partial class Log
{
    [LoggerMessage(301, LogLevel.Error,
        "Stored chunk {Hash} failed verification after {Sent} bytes were sent; the response was aborted so the client cannot accept it. Restore the chunk store from backup")]
    public static partial void ChunkCorruptedMidResponse(ILogger logger, string hash, long sent);
}
