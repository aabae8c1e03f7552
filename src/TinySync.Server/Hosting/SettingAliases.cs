using Microsoft.Extensions.Configuration.CommandLine;
using Microsoft.Extensions.Configuration.EnvironmentVariables;

namespace TinySync.Server.Hosting;

/// <summary>
/// The <c>TINYSYNC_*</c> names of the settings (SPEC §6, still accepted) and the <c>TinySync:*</c> keys they stand
/// for. An alias read from the environment or the command line is added just below that source, so precedence stays
/// .NET's (appsettings.json &lt; environment &lt; command line) and, within one source, the <c>TinySync</c> name wins.
/// </summary>
public static class SettingAliases
{
    /// <summary>Alias → key below the <c>TinySync</c> section.</summary>
    public static readonly IReadOnlyList<(string Alias, string Key)> All =
    [
        ("TINYSYNC_DATA_DIR", "DataDir"),
        ("TINYSYNC_DATABASE", "Database"),
        ("TINYSYNC_DATABASE_WAIT_SECONDS", "DatabaseWaitSeconds"),
        ("TINYSYNC_BLOB_STORE", "BlobStore"),
        ("TINYSYNC_S3_ENDPOINT", "S3Endpoint"),
        ("TINYSYNC_ADMIN_TOKEN", "AdminToken"),
        ("TINYSYNC_OPEN_DEVICE_REGISTRATION", "OpenDeviceRegistration"),
        ("TINYSYNC_MAX_JSON_BODY_BYTES", "MaxJsonBodyBytes"),
        ("TINYSYNC_HISTORY_RETENTION_DAYS", "HistoryRetentionDays"),
        ("TINYSYNC_GC_INTERVAL_MINUTES", "GcIntervalMinutes"),
        ("TINYSYNC_REQUEST_BODY_TIMEOUT_SECONDS", "RequestBodyTimeoutSeconds"),
        ("TINYSYNC_REGISTRATIONS_PER_MINUTE", "RegistrationsPerMinute"),
        ("TINYSYNC_AUTH_FAILURES_PER_ADDRESS_PER_MINUTE", "AuthFailuresPerAddressPerMinute"),
        ("TINYSYNC_AUTH_FAILURES_PER_DEVICE_PER_MINUTE", "AuthFailuresPerDevicePerMinute"),
        ("TINYSYNC_STREAM_SEND_TIMEOUT_SECONDS", "Stream:SendTimeoutSeconds"),
        ("TINYSYNC_STREAM_KEEPALIVE_SECONDS", "Stream:KeepAliveSeconds"),
        ("TINYSYNC_STREAM_RECHECK_SECONDS", "Stream:RecheckSeconds"),
        ("TINYSYNC_STREAM_MAX_SUBSCRIPTIONS", "Stream:MaxSubscriptions"),
    ];

    /// <summary>How an operator names a key in messages: <c>TinySync:DataDir (TINYSYNC_DATA_DIR)</c>.</summary>
    public static string Describe(string key)
    {
        var full = TinySyncOptions.Section + ":" + key;
        foreach (var (alias, k) in All)
            if (string.Equals(k, key, StringComparison.OrdinalIgnoreCase)) return $"{full} ({alias})";
        return full;
    }

    /// <summary>Adds an alias source below the environment and the command-line sources of <paramref name="config"/>.</summary>
    public static void AddTo(IConfigurationBuilder config)
    {
        var sources = config.Sources;
        for (var i = sources.Count - 1; i >= 0; i--)
        {
            if (sources[i] is EnvironmentVariablesConfigurationSource { Prefix: null or "" } or CommandLineConfigurationSource)
                sources.Insert(i, new AliasSource(sources[i]));
        }
    }

    sealed class AliasSource(IConfigurationSource inner) : IConfigurationSource
    {
        public IConfigurationProvider Build(IConfigurationBuilder builder) => new AliasProvider(inner.Build(builder));
    }

    sealed class AliasProvider(IConfigurationProvider inner) : ConfigurationProvider
    {
        public override void Load()
        {
            inner.Load();
            var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            foreach (var (alias, key) in All)
            {
                if (inner.TryGet(alias, out var value)) data[TinySyncOptions.Section + ":" + key] = Compatible(key, value);
            }
            Data = data;
        }

        // Before options binding the flag also took 1/0 and yes/no; keep accepting what worked.
        static string? Compatible(string key, string? value) => key == "OpenDeviceRegistration"
            ? value?.Trim().ToLowerInvariant() switch { "1" or "yes" => "true", "0" or "no" => "false", _ => value }
            : value;
    }
}
