using System.Reflection;
using PlatformService.Events;
using PlatformService.Sync;
using TinySync.Management;

namespace PlatformService.Apis;

/// <summary>The page (<c>GET /</c>), the state it shows, TinySync's own view, and reconcile.</summary>
internal static class PageApi
{
    static readonly Lazy<string> Page = new(() => Resource("index.html"));
    static readonly Lazy<string> Script = new(() => Resource("app.js"));

    static string Resource(string name)
    {
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream("PlatformService.Web." + name)!;
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }

    public static IEndpointRouteBuilder MapPageApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", () => TypedResults.Content(Page.Value, "text/html; charset=utf-8"));
        app.MapGet("/app.js", () => TypedResults.Content(Script.Value, "text/javascript; charset=utf-8"));
        app.MapGet("/api/state", State);
        app.MapGet("/api/calls", Calls);
        app.MapGet("/api/tinysync", TinySyncView);
        app.MapPost("/reconcile", Reconcile);
        return app;
    }

    /// <summary>Everything the catalog knows, for the page. Contains no token by construction: the catalog holds none.</summary>
    static async Task<IResult> State(Catalog.Catalog catalog, Hosting.PlatformOptions options, CancellationToken ct)
    {
        var users = await catalog.ListUsersAsync(ct);
        var workspaces = await catalog.ListWorkspacesAsync(ct);
        var memberships = await catalog.ListMembershipsAsync(ct);
        var devices = await catalog.ListDevicesAsync(ct);
        var vaults = await catalog.ListVaultsAsync(ct);
        var pending = await catalog.PendingEventsAsync(ct);
        return TypedResults.Ok(new
        {
            tinysync_url = options.TinySyncUrl.AbsoluteUri,
            users = users.Select(u => new
            {
                u.UserId, u.Name, u.CreatedAt, u.DeletedAt,
                workspaces = memberships.Where(m => m.UserId == u.UserId).Select(m => m.WorkspaceId),
            }),
            workspaces = workspaces.Select(w => new
            {
                w.WorkspaceId, w.Name, w.GroupId,
                members = memberships.Where(m => m.WorkspaceId == w.WorkspaceId).Select(m => m.UserId),
                vaults = vaults.Where(v => v.WorkspaceId == w.WorkspaceId).Select(v => new { v.VaultId, v.Name }),
            }),
            devices,
            pending_events = pending,
            events = await catalog.RecentEventsAsync(50, ct),
            activity = await catalog.RecentActivityAsync(50, ct),
        });
    }

    /// <summary>
    /// One page of the management call log, newest first (<c>?limit=</c> 1–200, default 25; <c>?before=SEQ</c> for
    /// older calls, <c>?after=SEQ</c> for newer ones). The log itself keeps the newest <c>PLATFORM_CALL_LOG_MAX</c>.
    /// </summary>
    static async Task<IResult> Calls(HttpContext http, Catalog.Catalog catalog, Hosting.PlatformOptions options, CancellationToken ct)
    {
        var q = http.Request.Query;
        if (!TryLong(q["limit"], 25, out var limit) || limit is < 1 or > 200)
            return Http.Problem(400, "invalid_argument", "limit must be an integer from 1 to 200");
        if (!TryLong(q["before"], 0, out var before) || !TryLong(q["after"], 0, out var after))
            return Http.Problem(400, "invalid_argument", "before and after must be call numbers (non-negative integers)");
        if (q.ContainsKey("before") && q.ContainsKey("after"))
            return Http.Problem(400, "invalid_argument", "give before or after, not both");
        var page = await catalog.CallsPageAsync(q.ContainsKey("before") ? before : null, q.ContainsKey("after") ? after : null, (int)limit, ct);
        return TypedResults.Ok(new { page.Calls, page.Total, page.LastSeq, page.HasOlder, page.HasNewer, KeptAtMost = options.CallLogMax });
    }

    static bool TryLong(Microsoft.Extensions.Primitives.StringValues value, long fallback, out long result)
    {
        result = fallback;
        return value.Count == 0 || long.TryParse(value.ToString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out result);
    }

    /// <summary>TinySync's own view of this service's groups and of the vaults (live management calls, logged).</summary>
    static async Task<IResult> TinySyncView(TinySyncManagementClient tinySync, CancellationToken ct)
    {
        using var _ = CallContext.Begin("page: load from TinySync");
        try
        {
            var groups = new List<object>();
            await foreach (var g in tinySync.ListAllGroupsAsync(500, ct))
                if (g.Ecosystem == Provisioner.Ecosystem) groups.Add(g);
            var vaults = new List<object>();
            await foreach (var v in tinySync.ListAllVaultsAsync(500, ct)) vaults.Add(new { v.VaultId, v.Name, v.Head, v.Groups });
            return TypedResults.Ok(new { groups, vaults });
        }
        catch (TinySyncApiException e) when (e.IsTransient)
        {
            return Http.Problem(503, "tinysync_unavailable", "TinySync cannot be reached right now");
        }
    }

    static async Task<IResult> Reconcile(EventProcessor processor, Reconciler reconciler, CancellationToken ct)
    {
        try
        {
            return TypedResults.Ok(await processor.ExclusiveAsync(() => reconciler.RunAsync(ct), ct));
        }
        catch (TinySyncApiException e) when (e.IsTransient)
        {
            return Http.Problem(503, "tinysync_unavailable", "TinySync cannot be reached right now; reconcile changed what it could, run it again later");
        }
    }
}
