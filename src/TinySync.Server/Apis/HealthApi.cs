using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry.Metrics;
using TinySync.Server.Health;
using TinySync.Server.Signals;

namespace TinySync.Server.Apis;

/// <summary>
/// What orchestrators and scrapers call: <c>/healthz</c> (liveness: the process answers; no dependency is asked, so
/// a database outage never gets the node restarted), <c>/readyz</c> (readiness: database, chunk store and, with
/// PostgreSQL, the signal listener), <c>/metrics</c> (Prometheus text from OpenTelemetry). Any method, HEAD included.
/// </summary>
public static class HealthApi
{
    const string Ready = "ready";

    /// <summary>Registers the readiness checks.</summary>
    public static IServiceCollection AddReadinessChecks(this IServiceCollection services, bool postgres)
    {
        var checks = services.AddHealthChecks()
            .AddCheck<DatabaseCheck>("database", tags: [Ready], timeout: TimeSpan.FromSeconds(5))
            .AddCheck<ChunkStoreCheck>("chunk_store", tags: [Ready], timeout: TimeSpan.FromSeconds(5));
        if (postgres) checks.AddCheck<ListenerCheck>("listener", tags: [Ready]);
        return services;
    }

    /// <summary>Maps <c>/healthz</c>, <c>/readyz</c> and <c>/metrics</c>.</summary>
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync });
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = r => r.Tags.Contains(Ready), ResponseWriter = WriteAsync });
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }

    // {"status":"unhealthy","checks":{"database":{"status":"unhealthy","description":"…"}}}
    static Task WriteAsync(HttpContext http, HealthReport report)
    {
        http.Response.ContentType = "application/json; charset=utf-8";
        http.Response.Headers.CacheControl = "no-store";
        var body = new Dictionary<string, object>
        {
            ["status"] = Name(report.Status),
            ["checks"] = report.Entries.ToDictionary(e => e.Key, e => new Dictionary<string, string?>
            {
                ["status"] = Name(e.Value.Status),
                ["description"] = e.Value.Description,
            }),
        };
        return http.Response.WriteAsync(JsonSerializer.Serialize(body), http.RequestAborted);
    }

    static string Name(HealthStatus s) => s.ToString().ToLowerInvariant();
}
