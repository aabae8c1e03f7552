using System.Diagnostics;
using System.Reflection;
using Microsoft.Extensions.Logging.Console;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Json;
using TinySync.Core.Contracts;
using TinySync.Server.Apis;
using TinySync.Server.Auth;
using TinySync.Server.Blobs;
using TinySync.Server.Health;
using TinySync.Server.Http;
using TinySync.Server.Observability;
using TinySync.Server.Signals;
using TinySync.Server.Storage;
using TinySync.Server.Storage.Postgres;
using TinySync.Server.Storage.Sql;
using TinySync.Server.Storage.Sqlite;

namespace TinySync.Server.Hosting;

/// <summary>
/// The composition root. <c>Program.cs</c> calls <see cref="BuildAsync"/> and runs the result; tests and
/// benchmarks do the same with <c>--urls=http://127.0.0.1:0</c> to get a real server on a loopback port.
/// </summary>
public static class TinySyncServer
{
    /// <summary>Builds a ready-to-run server: storage opened and migrated, admin token loaded, routes mapped.</summary>
    public static async Task<WebApplication> BuildAsync(string[] args, Action<WebApplicationBuilder>? configure = null, CancellationToken ct = default)
    {
        // Paths are NFC (docs/protocol.md#paths); invariant globalization mode silently skips normalization checks.
        if ("e\u0301".IsNormalized(System.Text.NormalizationForm.FormC))
            throw new InvalidOperationException("Unicode normalization is unavailable (invariant globalization mode or no ICU); install libicu and unset DOTNET_SYSTEM_GLOBALIZATION_INVARIANT");
        var builder = WebApplication.CreateSlimBuilder(args);
        SettingAliases.AddTo(builder.Configuration);
        var options = TinySyncOptionsValidator.Load(builder.Configuration);
        Directory.CreateDirectory(options.DataDir);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(options.DataDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        ConfigureLogging(builder);
        // --urls https://… with certificates from Kestrel:Certificates (the slim builder leaves HTTPS configuration out)
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = options.MaxJsonBodyBytes;
        });
        builder.Services.AddOptions<TinySyncOptions>().BindConfiguration(TinySyncOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<TinySyncOptions>, TinySyncOptionsValidator>();
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(AdminToken.Load(options));
        builder.Services.AddSingleton<ServerMetrics>();
        builder.Services.AddTinySyncTelemetry(builder.Configuration, Version);
        builder.Services.AddSingleton<Authenticator>();
        builder.Services.AddTinySyncThrottling(options);
        builder.Services.AddStreamServices(options.Stream);

        var (store, migrated, notReady) = await OpenStoreAsync(options, ct).ConfigureAwait(false);
        var readiness = new StorageReadiness(migrated);
        builder.Services.AddSingleton(readiness);
        if (!migrated) builder.Services.AddHostedService<DeferredMigration>();
        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton<IStore>(store);
        builder.Services.AddSingleton(store.Dialect);
        builder.Services.AddReadinessChecks(postgres: store.Dialect is PostgresDialect);
        if (store.Dialect is PostgresDialect postgres)
        {
            // Several nodes share the database: signals travel through it so every node's streams hear them.
            builder.Services.AddSingleton(sp => new PostgresSignalBus(postgres.ConnectionString, sp.GetRequiredService<ILogger<PostgresSignalBus>>()));
            builder.Services.AddSingleton<ISignalBus>(sp => sp.GetRequiredService<PostgresSignalBus>());
            builder.Services.AddHostedService(sp => sp.GetRequiredService<PostgresSignalBus>());
        }
        else
        {
            builder.Services.AddSingleton<ISignalBus, InProcessSignalBus>();
        }
        builder.Services.AddSingleton(await OpenChunkStoreAsync(options, builder.Configuration, ct).ConfigureAwait(false));
        builder.Services.AddHostedService<ChunkCollector>();

        builder.Services.ConfigureHttpJsonOptions(o => CopyWireOptions(o.SerializerOptions));
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = c =>
        {
            c.ProblemDetails.Extensions.Remove("traceId");
            c.ProblemDetails.Extensions["trace_id"] = Activity.Current?.TraceId.ToString() ?? c.HttpContext.TraceIdentifier;
            if (!c.ProblemDetails.Extensions.ContainsKey("code"))
            {
                c.ProblemDetails.Extensions["code"] = c.ProblemDetails.Status switch
                {
                    404 => ProblemCodes.NotFound,
                    405 => ProblemCodes.MethodNotAllowed,
                    413 => ProblemCodes.BodyTooLarge,
                    415 => ProblemCodes.UnsupportedMediaType,
                    _ => ProblemCodes.InvalidArgument,
                };
            }
            // Problems the framework writes itself (no route, wrong method, wrong content type) carry no detail;
            // every TinySync problem says what to do next.
            c.ProblemDetails.Detail ??= c.ProblemDetails.Status switch
            {
                404 => "no such route; the API is described at /openapi/v1.json",
                405 => "this route does not take that method; the API is described at /openapi/v1.json",
                413 => "the body is too large; split the request",
                415 => "send the body as application/json",
                _ => "the request could not be handled; check its method, path, headers and body",
            };
        });
        builder.Services.AddTinySyncOpenApi();
        configure?.Invoke(builder);

        var app = builder.Build();
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("TinySync.Server");
        Log.Starting(log, Path.GetFullPath(options.DataDir), store.Dialect.Name, options.BlobStore ?? "local");
        if (app.Services.GetRequiredService<AdminToken>().FilePath is { } tokenFile) Log.AdminTokenFile(log, tokenFile);
        Log.Registration(log, options.OpenDeviceRegistration ? "open to anyone (TinySync:OpenDeviceRegistration=true)" : "admin-only");
        if (notReady is not null) Log.DatabaseNotReady(log, notReady);

        app.UseMiddleware<ErrorBoundary>();
        app.UseMiddleware<BodyDeadline>();
        app.UseStatusCodePages();
        app.UseRateLimiter();
        if (!migrated) app.UseMiddleware<ReadinessGate>();
        app.MapTinySyncOpenApi();
        app.MapHealthApi();
        app.MapDevicesApi();
        app.MapVaultsApi();
        app.MapGroupsApi();
        app.MapAuditApi();
        app.MapSyncApi();
        app.MapChunksApi();
        app.MapChunkBatchApi();
        app.MapStreamApi();
        return app;
    }

    static async Task<IChunkStore> OpenChunkStoreAsync(TinySyncOptions options, IConfiguration config, CancellationToken ct) => options.BlobStore switch
    {
        null => new LocalChunkStore(Path.Combine(options.DataDir, "chunks")),
        { } blobStore => await S3ChunkStore.OpenAsync(
            S3ChunkStoreSettings.From(blobStore, options.S3Endpoint, k => config[k] is { Length: > 0 } v ? v : null), ct).ConfigureAwait(false),
    };

    static async Task<(SqlStore Store, bool Migrated, string? Problem)> OpenStoreAsync(TinySyncOptions options, CancellationToken ct)
    {
        if (options.Database is { } database)
            return await PostgresStartup.OpenAsync(database, options.DatabaseStartupWait, ct).ConfigureAwait(false);
        var store = new SqlStore(new SqliteDialect(Path.Combine(options.DataDir, "tinysync.db")));
        await store.MigrateAsync(ct).ConfigureAwait(false);
        return (store, true, null);
    }

    /// <summary>The server's version (from the git tag, MinVer), as <c>--version</c> prints it.</summary>
    public static string Version { get; } =
        typeof(TinySyncServer).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion is { } v
            ? v.Split('+')[0]
            : "unknown";

    static void ConfigureLogging(WebApplicationBuilder builder)
    {
        // Per-request framework logs cost throughput and say nothing an operator needs; warnings still show.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // The console logger with every formatter (simple, json, systemd), chosen by Logging:Console:FormatterName;
        // the slim builder's simple-only console ignored that setting.
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole();
        // Under systemd: Type=notify start-up and journald severities, unless the configuration names a formatter.
        builder.Services.AddSystemd();
        builder.Services.Configure<ConsoleLoggerOptions>(builder.Configuration.GetSection("Logging:Console"));
    }

    /// <summary>The response side of the wire dialect (snake_case, string enums).</summary>
    public static void CopyWireOptions(JsonSerializerOptions o)
    {
        o.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        o.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
        // Numbers are numbers: the web default also reads "0" as 0 (and documents ["integer","string"]); the server refuses it.
        o.NumberHandling = JsonNumberHandling.Strict;
        o.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false));
    }
}
