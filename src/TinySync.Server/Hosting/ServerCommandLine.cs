namespace TinySync.Server.Hosting;

/// <summary><c>--help</c> and <c>--version</c>: answered before anything starts.</summary>
public static class ServerCommandLine
{
    /// <summary>Writes the answer and returns the exit code, or null when the server should start.</summary>
    public static int? TryAnswer(string[] args, TextWriter output)
    {
        if (args.Any(a => a is "--version" or "-V"))
        {
            output.WriteLine($"tinysync-server {TinySyncServer.Version}");
            return 0;
        }
        if (!args.Any(a => a is "--help" or "-h" or "-?")) return null;
        output.WriteLine($$"""
            tinysync-server {{TinySyncServer.Version}}: the TinySync server.

            Usage: tinysync-server [--urls URL[;URL…]] [--TinySync:Key=value …]

            Settings bind from the TinySync section of appsettings.json (next to the binary or in the working
            directory), environment variables TinySync__Key, and the command line --TinySync:Key=value (later wins).
            The TINYSYNC_* environment variables are still read as aliases.

              Key                          Alias                                  Default
            """);
        var defaults = new TinySyncOptions();
        foreach (var (alias, key) in SettingAliases.All)
            output.WriteLine($"  {key,-28} {alias,-38} {Default(defaults, key)}");
        output.WriteLine("""

            Also: --urls http://0.0.0.0:8080 (or https://… with Kestrel:Certificates:Default:Path and :Password),
            Logging:Console:FormatterName=json for JSON logs, OTEL_EXPORTER_OTLP_ENDPOINT for OTLP export.
            Endpoints: /healthz, /readyz, /metrics, /openapi/v1.json, /docs. See docs/operations.md.
            """);
        return 0;
    }

    static string Default(TinySyncOptions d, string key) => key switch
    {
        "DataDir" => d.DataDir,
        "Database" => "(SQLite in the data dir)",
        "DatabaseWaitSeconds" => "10",
        "BlobStore" => "(files in the data dir)",
        "S3Endpoint" => "(AWS)",
        "AdminToken" => "(generated into the data dir)",
        "OpenDeviceRegistration" => "true",
        "MaxJsonBodyBytes" => "1048576",
        "HistoryRetentionDays" => "30",
        "GcIntervalMinutes" => "60",
        "RequestBodyTimeoutSeconds" => "300",
        "RegistrationsPerMinute" => "60",
        "AuthFailuresPerAddressPerMinute" => "120",
        "AuthFailuresPerDevicePerMinute" => "30",
        "Stream:SendTimeoutSeconds" or "Stream:KeepAliveSeconds" or "Stream:RecheckSeconds" => "30",
        "Stream:MaxSubscriptions" => "10000",
        _ => "",
    };
}
