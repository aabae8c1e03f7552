namespace TinySync.Server.Streaming;

/// <summary>Source-generated log messages of the stream (event ids 3500–3599). Devices appear only redacted.</summary>
internal static partial class StreamLog
{
    [LoggerMessage(3501, LogLevel.Debug, "Stream opened for {Device}")]
    public static partial void Opened(ILogger logger, string device);

    [LoggerMessage(3502, LogLevel.Debug, "Stream of {Device} ended: {Reason}")]
    public static partial void Ended(ILogger logger, string device, string reason);

    [LoggerMessage(3503, LogLevel.Information, "Closed {Count} stream(s) of revoked device {Device}")]
    public static partial void ClosedRevoked(ILogger logger, int count, string device);

    [LoggerMessage(3504, LogLevel.Warning, "Aborted the stream of {Device}: a frame could not be sent within {Seconds} s (the client does not read its socket)")]
    public static partial void SlowReader(ILogger logger, string device, double seconds);

    [LoggerMessage(3505, LogLevel.Information, "Stream of {Device} lost access to {Count} vault(s); told the client")]
    public static partial void AccessLost(ILogger logger, string device, int count);

    [LoggerMessage(3506, LogLevel.Warning, "Access re-check of streams failed, will retry on the next signal or within {Seconds} s: {Error}")]
    public static partial void RecheckFailed(ILogger logger, double seconds, string error);

    [LoggerMessage(3507, LogLevel.Information, "Stream of {Device} closed for a protocol error: {Reason}")]
    public static partial void ProtocolError(ILogger logger, string device, string reason);

    [LoggerMessage(3509, LogLevel.Error, "Could not check the device or the subscription of {Device}; closed the stream with 1011")]
    public static partial void SubscribeFailed(ILogger logger, Exception exception, string device);

    [LoggerMessage(3508, LogLevel.Information, "Closing {Count} stream(s): the server is shutting down")]
    public static partial void ShuttingDown(ILogger logger, int count);
}
