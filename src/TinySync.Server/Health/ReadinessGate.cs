using TinySync.Core.Contracts;
using TinySync.Server.Http;

namespace TinySync.Server.Health;

/// <summary>
/// In front of the API while the database has no schema yet (a node started before its PostgreSQL): API requests get
/// 503 <c>unavailable</c> with <c>Retry-After</c>, the same answer as during a database outage, so clients retry.
/// Health, metrics and the API description stay reachable. Installed only on a node that started not ready.
/// </summary>
internal sealed class ReadinessGate(RequestDelegate next, StorageReadiness readiness)
{
    public Task InvokeAsync(HttpContext http)
    {
        if (readiness.Migrated || !http.Request.Path.StartsWithSegments("/v1", StringComparison.Ordinal)) return next(http);
        http.Response.Headers.RetryAfter = "5";
        return Problems.Of(StatusCodes.Status503ServiceUnavailable, ProblemCodes.Unavailable,
            "the server is starting and its database is not reachable yet; retry in a few seconds").ExecuteAsync(http);
    }
}
