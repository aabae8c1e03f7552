namespace TinySync.Server.Observability;

// Multi-node logging (PostgreSQL, S3, signals): ids 500-599 so parallel work on Log.cs never collides.
internal static partial class Log
{
    [LoggerMessage(501, LogLevel.Warning, "Signal listener lost its PostgreSQL connection ({Error}: {Message}); reconnecting in {DelayMs} ms")]
    public static partial void SignalListenerLost(ILogger logger, string error, string message, double delayMs);

    [LoggerMessage(502, LogLevel.Information, "Signal listener reconnected; streams re-check access")]
    public static partial void SignalListenerReconnected(ILogger logger);

    [LoggerMessage(503, LogLevel.Warning, "Dropped {Count} signal(s) after retries: {Message}")]
    public static partial void SignalPublishFailed(ILogger logger, int count, string message);

    [LoggerMessage(504, LogLevel.Warning, "Ignored a malformed signal: {Payload}")]
    public static partial void SignalIgnored(ILogger logger, string payload);

    [LoggerMessage(505, LogLevel.Error, "A signal handler failed")]
    public static partial void SignalHandlerFailed(ILogger logger, Exception exception);

    [LoggerMessage(506, LogLevel.Information, "PostgreSQL database {Where}; signals across nodes via LISTEN/NOTIFY")]
    public static partial void PostgresInUse(ILogger logger, string where);

    [LoggerMessage(507, LogLevel.Warning, "Chunk store unavailable on {Method} {Path}: {Error}")]
    public static partial void ChunkStoreUnavailable(ILogger logger, string method, string path, string error);
}
