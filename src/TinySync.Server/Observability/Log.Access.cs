namespace TinySync.Server.Observability;

// Authorization at the moment of writing, request deadlines and throttling: ids 220-239 (decisions 0220-0225).
internal static partial class Log
{
    [LoggerMessage(220, LogLevel.Warning,
        "Refused {Method} {Path} of device {Device} on vault {Vault}: {Reason} while the request was open; nothing was written")]
    public static partial void WriteRefusedAccessEnded(ILogger logger, string method, string path, string device, Guid vault, string reason);

    [LoggerMessage(221, LogLevel.Error, "Could not add the refused write of device {Device} to the audit record")]
    public static partial void WriteRefusedAuditFailed(ILogger logger, Exception exception, string device);

    [LoggerMessage(222, LogLevel.Information, "Request body of {Method} {Path} took longer than {Seconds} s; answered 408")]
    public static partial void BodyDeadline(ILogger logger, string method, string path, double seconds);

    [LoggerMessage(223, LogLevel.Information, "Throttled {Method} {Path} from {Address}: {Limit}")]
    public static partial void Throttled(ILogger logger, string method, string path, string address, string limit);
}
