using System.Reflection;
using PlatformService.Events;
using PlatformService.Sync;
using TinySync.Management;

namespace PlatformService.Apis;

/// <summary>The page (<c>GET /</c>), the state it shows, TinySync's own view, and reconcile.</summary>
internal static class PageApi
{
    static readonly Lazy<string> Page = new(() =>
    {
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream("PlatformService.Web.index.html")!;
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    });

    public static IEndpointRouteBuilder MapPageApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", () => TypedResults.Content(Page.Value, "text/html; charset=utf-8"));
        app.MapGet("/api/state", State);
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
            calls = await catalog.RecentCallsAsync(100, ct),
            activity = await catalog.RecentActivityAsync(50, ct),
        });
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
