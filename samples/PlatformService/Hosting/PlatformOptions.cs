using System.Globalization;

namespace PlatformService.Hosting;

/// <summary>
/// Settings, from the environment or the command line:
/// <c>PLATFORM_TINYSYNC_URL</c> (<c>--tinysync-url</c>), <c>PLATFORM_TINYSYNC_ADMIN_TOKEN</c> or
/// <c>--admin-token-file</c> (<c>PLATFORM_TINYSYNC_ADMIN_TOKEN_FILE</c>), <c>PLATFORM_DATA_DIR</c> (<c>--data-dir</c>),
/// <c>PLATFORM_RETRY_INTERVAL_MS</c>, <c>PLATFORM_CALL_LOG_MAX</c>, and ASP.NET Core's <c>--urls</c>. The defaults match the
/// README's server (<c>http://127.0.0.1:5000</c>, data in <c>./tinysync-data</c>), run from the repository root.
/// </summary>
public sealed class PlatformOptions
{
    /// <summary>The TinySync server.</summary>
    public Uri TinySyncUrl { get; init; } = new(DefaultTinySyncUrl);

    /// <summary>The README's server.</summary>
    public const string DefaultTinySyncUrl = "http://127.0.0.1:5000/";

    /// <summary>The TinySync admin token: kept in memory only, never written to the catalog or logged.</summary>
    public string AdminToken { get; init; } = "";

    /// <summary>The playground's own data directory (its SQLite catalog).</summary>
    public string DataDir { get; init; } = "./platform-data";

    /// <summary>How often pending events are retried.</summary>
    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>How many management calls the call log keeps; older ones are dropped as new ones arrive.</summary>
    public int CallLogMax { get; init; } = 2000;

    /// <summary>Retries the management client makes inside one attempt (idempotent calls only).</summary>
    public int ClientRetries { get; init; } = 2;

    /// <summary>Reads the settings; throws <see cref="InvalidOperationException"/> naming what is missing.</summary>
    public static PlatformOptions From(IConfiguration config)
    {
        var url = First(config, "PLATFORM_TINYSYNC_URL", "tinysync-url") ?? DefaultTinySyncUrl;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new InvalidOperationException($"PLATFORM_TINYSYNC_URL must be an http(s) URL (got '{url}')");

        var token = First(config, "PLATFORM_TINYSYNC_ADMIN_TOKEN");
        if (token is null && First(config, "PLATFORM_TINYSYNC_ADMIN_TOKEN_FILE", "admin-token-file") is { } file)
        {
            if (!File.Exists(file)) throw new InvalidOperationException(
                $"--admin-token-file: no file at {Path.GetFullPath(file)}; start the TinySync server first (README: it writes tinysync-data/admin-token) or pass the path of its admin-token file");
            token = File.ReadAllText(file).Trim();
        }
        if (string.IsNullOrEmpty(token))
            throw new InvalidOperationException(
                "the TinySync admin token is missing: set PLATFORM_TINYSYNC_ADMIN_TOKEN or pass --admin-token-file (e.g. the server's tinysync-data/admin-token)");

        var interval = TimeSpan.FromSeconds(3);
        if (First(config, "PLATFORM_RETRY_INTERVAL_MS") is { } ms)
        {
            if (!int.TryParse(ms, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 10)
                throw new InvalidOperationException($"PLATFORM_RETRY_INTERVAL_MS must be an integer of at least 10 (got '{ms}')");
            interval = TimeSpan.FromMilliseconds(n);
        }
        var callLogMax = 2000;
        if (First(config, "PLATFORM_CALL_LOG_MAX") is { } max &&
            (!int.TryParse(max, NumberStyles.None, CultureInfo.InvariantCulture, out callLogMax) || callLogMax < 10))
            throw new InvalidOperationException($"PLATFORM_CALL_LOG_MAX must be an integer of at least 10 (got '{max}')");
        return new PlatformOptions
        {
            TinySyncUrl = uri,
            AdminToken = token,
            DataDir = First(config, "PLATFORM_DATA_DIR", "data-dir") ?? "./platform-data",
            RetryInterval = interval,
            CallLogMax = callLogMax,
        };
    }

    static string? First(IConfiguration config, params string[] keys) =>
        keys.Select(k => config[k]).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));
}
