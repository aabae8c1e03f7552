using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace TinySync.Server.Observability;

/// <summary>
/// OpenTelemetry (decision 0009): metrics of TinySync, ASP.NET Core and Kestrel, HttpClient, Npgsql and the runtime,
/// scraped at <c>/metrics</c> (Prometheus exporter); traces of the same sources. Both go out over OTLP as well when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (the standard <c>OTEL_*</c> variables configure it); without it no
/// trace is recorded at all.
/// </summary>
public static class Telemetry
{
    /// <summary>Registers the providers.</summary>
    public static IServiceCollection AddTinySyncTelemetry(this IServiceCollection services, IConfiguration config, string version)
    {
        var otlp = !string.IsNullOrWhiteSpace(config["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("tinysync-server", serviceVersion: version))
            .WithMetrics(m => m
                .AddMeter(ServerMetrics.MeterName)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddNpgsqlInstrumentation()
                .AddPrometheusExporter());
        if (otlp)
        {
            telemetry.WithTracing(t => t
                .AddAspNetCoreInstrumentation(o => o.Filter = http => http.Request.Path != "/metrics")
                .AddHttpClientInstrumentation()
                .AddNpgsql());
            telemetry.UseOtlpExporter();
        }
        return services;
    }
}
