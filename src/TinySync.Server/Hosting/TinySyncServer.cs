using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Json;
using TinySync.Core.Contracts;
using TinySync.Server.Apis;
using TinySync.Server.Auth;
using TinySync.Server.Blobs;
using TinySync.Server.Http;
using TinySync.Server.Observability;
using TinySync.Server.Signals;
using TinySync.Server.Storage;
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
        // SPEC §5 paths are NFC; invariant globalization mode silently skips normalization checks.
        if ("e\u0301".IsNormalized(System.Text.NormalizationForm.FormC))
            throw new InvalidOperationException("Unicode normalization is unavailable (invariant globalization mode or no ICU); install libicu and unset DOTNET_SYSTEM_GLOBALIZATION_INVARIANT");
        var builder = WebApplication.CreateSlimBuilder(args);
        var options = TinySyncOptions.From(builder.Configuration);
        Directory.CreateDirectory(options.DataDir);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(options.DataDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        // Per-request framework logs cost throughput and say nothing an operator needs; warnings still show.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = options.MaxJsonBodyBytes;
        });
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(AdminToken.Load(options));
        builder.Services.AddSingleton<ServerMetrics>();
        builder.Services.AddSingleton<PrometheusExporter>();
        builder.Services.AddSingleton<Authenticator>();
        builder.Services.AddSingleton<ISignalBus, InProcessSignalBus>();
        builder.Services.AddStreamServices(builder.Configuration);

        var store = await OpenStoreAsync(options, ct).ConfigureAwait(false);
        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton<IStore>(store);
        builder.Services.AddSingleton(store.Dialect);
        builder.Services.AddSingleton(OpenChunkStore(options));
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
        });
        builder.Services.AddOpenApi();
        configure?.Invoke(builder);

        var app = builder.Build();
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("TinySync.Server");
        Log.Starting(log, Path.GetFullPath(options.DataDir), store.Dialect.Name, options.BlobStore ?? "local");
        if (app.Services.GetRequiredService<AdminToken>().FilePath is { } tokenFile) Log.AdminTokenFile(log, tokenFile);
        Log.Registration(log, options.OpenDeviceRegistration ? "open to anyone (TINYSYNC_OPEN_DEVICE_REGISTRATION=true)" : "admin-only");
        app.Services.GetRequiredService<PrometheusExporter>(); // start listening before the first request

        app.UseMiddleware<ErrorBoundary>();
        app.UseStatusCodePages();
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapHealthApi();
        app.MapDevicesApi();
        app.MapVaultsApi();
        app.MapGroupsApi();
        app.MapAuditApi();
        app.MapSyncApi();
        app.MapChunksApi();
        app.MapStreamApi();
        return app;
    }

    static IChunkStore OpenChunkStore(TinySyncOptions options) => options.BlobStore switch
    {
        null => new LocalChunkStore(Path.Combine(options.DataDir, "chunks")),
        _ => throw new InvalidOperationException(
            "TINYSYNC_BLOB_STORE is set, but this build stores chunks only in the data directory; unset TINYSYNC_BLOB_STORE"),
    };

    static async Task<SqlStore> OpenStoreAsync(TinySyncOptions options, CancellationToken ct)
    {
        SqlDialect dialect = options.Database switch
        {
            null => new SqliteDialect(Path.Combine(options.DataDir, "tinysync.db")),
            _ => throw new InvalidOperationException(
                "TINYSYNC_DATABASE is set, but this build supports only the embedded SQLite database; unset TINYSYNC_DATABASE"),
        };
        var store = new SqlStore(dialect);
        await store.MigrateAsync(ct).ConfigureAwait(false);
        return store;
    }

    /// <summary>The response side of the wire dialect (snake_case, string enums).</summary>
    public static void CopyWireOptions(JsonSerializerOptions o)
    {
        o.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        o.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
        o.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false));
    }
}
