namespace TinySync.Server.Observability;

/// <summary>Source-generated log messages of the server. Device tokens appear only redacted (tsdev_{id}_***).</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "TinySync server storing data in {DataDir} ({Database} database, {Blobs} chunks)")]
    public static partial void Starting(ILogger logger, string dataDir, string database, string blobs);

    [LoggerMessage(2, LogLevel.Warning, "No TINYSYNC_ADMIN_TOKEN set: the admin token is in {Path} (mode 0600)")]
    public static partial void AdminTokenFile(ILogger logger, string path);

    [LoggerMessage(3, LogLevel.Information, "Applied {Count} database migration(s)")]
    public static partial void Migrated(ILogger logger, int count);

    [LoggerMessage(4, LogLevel.Information, "Device {Device} registered as '{Name}'")]
    public static partial void DeviceRegistered(ILogger logger, string device, string name);

    [LoggerMessage(5, LogLevel.Information, "Device {Device} revoked by {Actor}")]
    public static partial void DeviceRevoked(ILogger logger, string device, string actor);

    [LoggerMessage(6, LogLevel.Warning, "Could not record last_seen_at for {Device}: {Error}")]
    public static partial void TouchFailed(ILogger logger, string device, string error);

    [LoggerMessage(7, LogLevel.Error, "Unhandled error on {Method} {Path}")]
    public static partial void Unhandled(ILogger logger, Exception exception, string method, string path);

    [LoggerMessage(8, LogLevel.Warning, "Database unavailable on {Method} {Path}: {Error}")]
    public static partial void DatabaseUnavailable(ILogger logger, string method, string path, string error);

    [LoggerMessage(9, LogLevel.Information, "Registration is {State}")]
    public static partial void Registration(ILogger logger, string state);

    [LoggerMessage(10, LogLevel.Warning, "Not ready: {Problem}. The server keeps running, answers 503 and /readyz reports it; it becomes ready by itself when the database answers")]
    public static partial void DatabaseNotReady(ILogger logger, string problem);

    [LoggerMessage(11, LogLevel.Information, "The database answers and its schema is applied: ready")]
    public static partial void DatabaseReady(ILogger logger);

    [LoggerMessage(20, LogLevel.Information, "Chunk collection removed {Registrations} registration(s) and {Chunks} stored chunk(s)")]
    public static partial void ChunksCollected(ILogger logger, int registrations, int chunks);

    [LoggerMessage(21, LogLevel.Error, "Chunk collection failed; it runs again in {Minutes} minutes")]
    public static partial void CollectionFailed(ILogger logger, Exception exception, double minutes);
}
