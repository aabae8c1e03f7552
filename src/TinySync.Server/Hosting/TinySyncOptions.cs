namespace TinySync.Server.Hosting;

/// <summary>
/// Server settings (SPEC §6), bound from the <c>TinySync</c> configuration section: <c>appsettings.json</c>,
/// <c>TinySync__DataDir</c>-style environment variables, <c>--TinySync:DataDir=…</c> on the command line, and the
/// older <c>TINYSYNC_*</c> names as aliases (<see cref="SettingAliases"/>). Every setting has a default so the server
/// runs with nothing configured; <see cref="TinySyncOptionsValidator"/> checks them at start.
/// </summary>
public sealed class TinySyncOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "TinySync";

    /// <summary>Data directory: SQLite database, local chunks, generated admin token.</summary>
    public string DataDir { get; set; } = "./tinysync-data";

    /// <summary>Empty for SQLite in the data dir; otherwise a PostgreSQL connection string or URL.</summary>
    public string? Database { get; set; }

    /// <summary>How long start-up waits for the database before it serves not-ready and keeps trying in the background.</summary>
    public double DatabaseWaitSeconds { get; set; } = 10;

    /// <summary>Empty for local content-addressed files in the data dir; otherwise <c>s3://bucket/prefix</c>.</summary>
    public string? BlobStore { get; set; }

    /// <summary>Endpoint of the S3-compatible store.</summary>
    public string? S3Endpoint { get; set; }

    /// <summary>The admin token of the Platform Service / operator; generated into the data dir when empty.</summary>
    public string? AdminToken { get; set; }

    /// <summary>When false, <c>POST /v1/devices</c> requires the admin token.</summary>
    public bool OpenDeviceRegistration { get; set; } = true;

    /// <summary>Largest JSON request body in bytes.</summary>
    public long MaxJsonBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>How long old versions stay restorable, in days.</summary>
    public double HistoryRetentionDays { get; set; } = 30;

    /// <summary>How often unreferenced chunks are collected, in minutes; zero disables the background collector.</summary>
    public double GcIntervalMinutes { get; set; } = 60;

    /// <summary>Longest a request body may take to arrive, in total, in seconds (decision 0221).</summary>
    public double RequestBodyTimeoutSeconds { get; set; } = 300;

    /// <summary>Open registrations (without the admin token) one client address may make per minute (decision 0222).</summary>
    public int RegistrationsPerMinute { get; set; } = 60;

    /// <summary>Failed authentications one client address may cause per minute before further failures answer 429.</summary>
    public int AuthFailuresPerAddressPerMinute { get; set; } = 120;

    /// <summary>Failed authentications naming one device id per minute before further failures answer 429.</summary>
    public int AuthFailuresPerDevicePerMinute { get; set; } = 30;

    /// <summary>Limits and timers of the wake-hint stream.</summary>
    public StreamSettings Stream { get; set; } = new();

    /// <summary><see cref="RequestBodyTimeoutSeconds"/> as a time span.</summary>
    public TimeSpan RequestBodyTimeout => TimeSpan.FromSeconds(RequestBodyTimeoutSeconds);

    /// <summary><see cref="DatabaseWaitSeconds"/> as a time span.</summary>
    public TimeSpan DatabaseStartupWait => TimeSpan.FromSeconds(DatabaseWaitSeconds);

    /// <summary><see cref="HistoryRetentionDays"/> as a time span.</summary>
    public TimeSpan HistoryRetention => TimeSpan.FromDays(HistoryRetentionDays);

    /// <summary><see cref="GcIntervalMinutes"/> as a time span.</summary>
    public TimeSpan GcInterval => TimeSpan.FromMinutes(GcIntervalMinutes);

    /// <summary>Empty strings (an unset environment variable) count as not configured.</summary>
    internal void NormalizeEmpty()
    {
        Database = NullIfEmpty(Database);
        BlobStore = NullIfEmpty(BlobStore);
        S3Endpoint = NullIfEmpty(S3Endpoint);
        AdminToken = NullIfEmpty(AdminToken);
    }

    static string? NullIfEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;
}

/// <summary>Settings of the wake-hint stream (<c>TinySync:Stream:…</c>); unset values keep the production defaults.</summary>
public sealed class StreamSettings
{
    /// <summary>How long one frame may take to leave, in seconds.</summary>
    public double? SendTimeoutSeconds { get; set; }

    /// <summary>Interval of WebSocket pings and how long one may go unanswered, in seconds.</summary>
    public double? KeepAliveSeconds { get; set; }

    /// <summary>Interval of the access re-check of every open subscription, in seconds.</summary>
    public double? RecheckSeconds { get; set; }

    /// <summary>Most vaults one connection may subscribe to.</summary>
    public int? MaxSubscriptions { get; set; }
}
