using System.Globalization;

namespace TinySync.Server.Hosting;

/// <summary>
/// Server settings (README.md#configuration), read from environment variables or the command line (<c>--TINYSYNC_DATA_DIR=...</c>).
/// Every setting has an embedded default so the server runs with nothing configured.
/// </summary>
public sealed class TinySyncOptions
{
    /// <summary>Data directory: SQLite database, local chunks, generated admin token.</summary>
    public string DataDir { get; set; } = "./tinysync-data";

    /// <summary>Empty for SQLite in the data dir; otherwise a PostgreSQL connection string.</summary>
    public string? Database { get; set; }

    /// <summary>Empty for local content-addressed files in the data dir; otherwise <c>s3://bucket/prefix</c>.</summary>
    public string? BlobStore { get; set; }

    /// <summary>How long start-up waits for an unreachable PostgreSQL before giving up (nodes often start before it).</summary>
    public TimeSpan DatabaseStartupWait { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Endpoint of the S3-compatible store.</summary>
    public string? S3Endpoint { get; set; }

    /// <summary>The admin token of the Platform Service / operator; generated into the data dir when empty.</summary>
    public string? AdminToken { get; set; }

    /// <summary>When false, <c>POST /v1/devices</c> requires the admin token.</summary>
    public bool OpenDeviceRegistration { get; set; } = true;

    /// <summary>Largest JSON request body.</summary>
    public long MaxJsonBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>How long old versions stay restorable.</summary>
    public TimeSpan HistoryRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often unreferenced chunks are collected; zero disables the background collector.</summary>
    public TimeSpan GcInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Longest a request body may take to arrive, in total (decision 0221).</summary>
    public TimeSpan RequestBodyTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Open registrations (without the admin token) one client address may make per minute (decision 0222).</summary>
    public int RegistrationsPerMinute { get; set; } = 60;

    /// <summary>Failed authentications one client address may cause per minute before further failures answer 429.</summary>
    public int AuthFailuresPerAddressPerMinute { get; set; } = 120;

    /// <summary>Failed authentications naming one device id per minute before further failures answer 429.</summary>
    public int AuthFailuresPerDevicePerMinute { get; set; } = 30;

    /// <summary>Reads the <c>TINYSYNC_*</c> settings from configuration (environment and command line).</summary>
    public static TinySyncOptions From(IConfiguration config)
    {
        var o = new TinySyncOptions();
        if (config["TINYSYNC_DATA_DIR"] is { Length: > 0 } dir) o.DataDir = dir;
        o.Database = NullIfEmpty(config["TINYSYNC_DATABASE"]);
        if (config["TINYSYNC_DATABASE_WAIT_SECONDS"] is { Length: > 0 } wait)
        {
            if (!double.TryParse(wait, NumberStyles.Float, CultureInfo.InvariantCulture, out var w) || w < 0)
                throw new InvalidOperationException($"TINYSYNC_DATABASE_WAIT_SECONDS must be a non-negative number (got '{wait}')");
            o.DatabaseStartupWait = TimeSpan.FromSeconds(w);
        }
        o.BlobStore = NullIfEmpty(config["TINYSYNC_BLOB_STORE"]);
        o.S3Endpoint = NullIfEmpty(config["TINYSYNC_S3_ENDPOINT"]);
        o.AdminToken = NullIfEmpty(config["TINYSYNC_ADMIN_TOKEN"]);
        if (config["TINYSYNC_OPEN_DEVICE_REGISTRATION"] is { Length: > 0 } open)
        {
            o.OpenDeviceRegistration = open.Trim().ToLowerInvariant() switch
            {
                "true" or "1" or "yes" => true,
                "false" or "0" or "no" => false,
                _ => throw new InvalidOperationException(
                    $"TINYSYNC_OPEN_DEVICE_REGISTRATION must be true or false (got '{open}')"),
            };
        }
        if (config["TINYSYNC_HISTORY_RETENTION_DAYS"] is { Length: > 0 } days)
        {
            if (!double.TryParse(days, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) || d < 0)
                throw new InvalidOperationException($"TINYSYNC_HISTORY_RETENTION_DAYS must be a non-negative number (got '{days}')");
            o.HistoryRetention = TimeSpan.FromDays(d);
        }
        if (config["TINYSYNC_GC_INTERVAL_MINUTES"] is { Length: > 0 } minutes)
        {
            if (!double.TryParse(minutes, NumberStyles.Float, CultureInfo.InvariantCulture, out var m) || m < 0)
                throw new InvalidOperationException($"TINYSYNC_GC_INTERVAL_MINUTES must be a non-negative number, 0 to disable (got '{minutes}')");
            o.GcInterval = TimeSpan.FromMinutes(m);
        }
        if (config["TINYSYNC_REQUEST_BODY_TIMEOUT_SECONDS"] is { Length: > 0 } body)
        {
            if (!double.TryParse(body, NumberStyles.Float, CultureInfo.InvariantCulture, out var b) || b <= 0)
                throw new InvalidOperationException($"TINYSYNC_REQUEST_BODY_TIMEOUT_SECONDS must be a positive number of seconds (got '{body}')");
            o.RequestBodyTimeout = TimeSpan.FromSeconds(b);
        }
        o.RegistrationsPerMinute = PerMinute(config, "TINYSYNC_REGISTRATIONS_PER_MINUTE", o.RegistrationsPerMinute);
        o.AuthFailuresPerAddressPerMinute = PerMinute(config, "TINYSYNC_AUTH_FAILURES_PER_ADDRESS_PER_MINUTE", o.AuthFailuresPerAddressPerMinute);
        o.AuthFailuresPerDevicePerMinute = PerMinute(config, "TINYSYNC_AUTH_FAILURES_PER_DEVICE_PER_MINUTE", o.AuthFailuresPerDevicePerMinute);
        return o;
    }

    static int PerMinute(IConfiguration config, string key, int fallback)
    {
        if (config[key] is not { Length: > 0 } value) return fallback;
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1)
            throw new InvalidOperationException($"{key} must be a whole number of requests per minute, 1 or more (got '{value}')");
        return n;
    }

    static string? NullIfEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;
}
