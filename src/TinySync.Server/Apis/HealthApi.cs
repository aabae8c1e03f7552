using TinySync.Server.Observability;
using TinySync.Server.Storage;

namespace TinySync.Server.Apis;

/// <summary>Liveness and metrics for operators.</summary>
public static class HealthApi
{
    /// <summary>Maps <c>/healthz</c> and <c>/metrics</c>.</summary>
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", Health).WithTags("Operations").ExcludeFromDescription();
        app.MapGet("/metrics", (PrometheusExporter exporter) =>
            Results.Text(exporter.Render(), "text/plain; version=0.0.4; charset=utf-8")).WithTags("Operations").ExcludeFromDescription();
        return app;
    }

    static async Task<IResult> Health(IStore store, CancellationToken ct)
    {
        try
        {
            return await store.PingAsync(ct)
                ? TypedResults.Ok(new { status = "ok" })
                : TypedResults.Json(new { status = "database unavailable" }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return TypedResults.Json(new { status = "database unavailable" }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }
}
