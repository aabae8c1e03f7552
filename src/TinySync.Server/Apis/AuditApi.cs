using TinySync.Core.Contracts;
using TinySync.Server.Auth;
using TinySync.Server.Http;
using TinySync.Server.Storage;

namespace TinySync.Server.Apis;

/// <summary>The server's own append-only record of management changes (docs/protocol.md#management-api).</summary>
public static class AuditApi
{
    /// <summary>Maps the routes.</summary>
    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/audit", Read).WithName("readAudit").WithSummary("Read the audit record (management actions, newest last)").RequireAdmin().WithTags("Audit").Produces<AuditPage>();
        return app;
    }

    static async Task<IResult> Read(string? after, string? limit, IStore store, CancellationToken ct)
    {
        if (!Input.TryNonNegative(after, "after", out var from, out var problem)) return problem;
        if (!Input.TryLimit(limit, out var n, out problem)) return problem;
        return TypedResults.Ok(await store.ReadAuditAsync(from, n, ct));
    }
}
