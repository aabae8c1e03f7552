using PlatformService.Events;

namespace PlatformService.Apis;

/// <summary>
/// Creating users and workspaces, which the events refer to. A real ecosystem has its own user store; the playground
/// needs just enough. No authentication: the playground binds to loopback by default.
/// </summary>
internal static class AdminApi
{
    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/admin/users", CreateUser);
        app.MapPost("/admin/workspaces", CreateWorkspace);
        return app;
    }

    /// <summary>201 with the user's playground credential, shown this once (the catalog keeps only its hash).</summary>
    static async Task<IResult> CreateUser(HttpContext http, Catalog.Catalog catalog, CancellationToken ct)
    {
        var (body, problem) = await Http.ReadObjectAsync(http, ct);
        if (problem is not null) return problem;
        var id = Http.String(body, "user_id") ?? "u-" + Guid.NewGuid().ToString("N")[..8];
        var name = Http.String(body, "name") ?? id;
        if (!Http.CatalogId().IsMatch(id)) return Http.Problem(400, "invalid_id", "user_id must be 1–64 characters of A–Z a–z 0–9 . _ -");
        if (name.Length is 0 or > 200) return Http.Problem(400, "invalid_argument", "name must be 1–200 characters");
        var (credential, hash) = EventProcessor.NewCredential();
        if (!await catalog.CreateUserAsync(id, name, hash, ct)) return Http.Problem(409, "user_exists", $"user '{id}' already exists");
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Created($"/users/{id}", new { user_id = id, name, credential });
    }

    /// <summary>201 with the workspace, its TinySync group and first vault; <c>status</c> pending if TinySync is down.</summary>
    static async Task<IResult> CreateWorkspace(HttpContext http, EventProcessor processor, CancellationToken ct)
    {
        var (body, problem) = await Http.ReadObjectAsync(http, ct);
        if (problem is not null) return problem;
        var id = Http.String(body, "workspace_id") ?? "ws-" + Guid.NewGuid().ToString("N")[..8];
        var name = Http.String(body, "name") ?? id;
        if (!Http.CatalogId().IsMatch(id)) return Http.Problem(400, "invalid_id", "workspace_id must be 1–64 characters of A–Z a–z 0–9 . _ -");
        if (name.Length is 0 or > 200 || name.Any(char.IsControl)) return Http.Problem(400, "invalid_argument", "name must be 1–200 characters");
        var (outcome, ws) = await processor.CreateWorkspaceAsync(id, name, ct);
        if (ws is null) return Http.Problem(409, "workspace_exists", $"workspace '{id}' already exists");
        return TypedResults.Created($"/workspaces/{id}", new { workspace_id = id, name, group_id = ws.GroupId, status = outcome.Status, error = outcome.Error });
    }
}
