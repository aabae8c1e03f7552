using System.Text.Json;
using System.Text.Json.Serialization;
using PlatformService.Apis;
using PlatformService.Events;
using PlatformService.Sync;
using TinySync.Management;

namespace PlatformService.Hosting;

/// <summary>The composition root: <c>Program.cs</c> and the tests build the app the same way.</summary>
public static class PlatformServiceApp
{
    /// <summary>Builds a ready-to-run playground: catalog migrated, management client with the call-log observer, routes mapped.</summary>
    public static async Task<WebApplication> BuildAsync(string[] args, Action<WebApplicationBuilder>? configure = null, CancellationToken ct = default)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
            builder.WebHost.UseUrls("http://127.0.0.1:5080"); // loopback by default: the playground has no admin login
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        var options = PlatformOptions.From(builder.Configuration);
        builder.Services.AddSingleton(options);

        var db = new Catalog.CatalogDb(options.DataDir);
        await db.MigrateAsync(ct).ConfigureAwait(false);
        var catalog = new Catalog.Catalog(db);
        builder.Services.AddSingleton(db);
        builder.Services.AddSingleton(catalog);
        // A short timeout: calls run one event at a time, and a hung TinySync should turn into "pending" quickly.
        var http = new HttpClient { BaseAddress = options.TinySyncUrl, Timeout = TimeSpan.FromSeconds(10) };
        builder.Services.AddSingleton(new TinySyncManagementClient(http, options.AdminToken, new ManagementClientOptions
        {
            Observer = new CallLogObserver(catalog, options.CallLogMax),
            MaxRetryAttempts = options.ClientRetries,
            RetryBaseDelay = TimeSpan.FromMilliseconds(100),
            MaxRetryDelay = TimeSpan.FromSeconds(2),
        }));
        builder.Services.AddSingleton<Provisioner>();
        builder.Services.AddSingleton<Reconciler>();
        builder.Services.AddSingleton<EventProcessor>();
        builder.Services.AddHostedService<PendingEventsWorker>();
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        });
        builder.Services.AddProblemDetails();
        configure?.Invoke(builder);

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapPageApi();
        app.MapEventsApi();
        app.MapAdminApi();
        app.MapDriveSetupApi();
        return app;
    }
}
