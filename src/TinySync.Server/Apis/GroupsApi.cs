using TinySync.Core.Contracts;
using TinySync.Core.Identity;
using TinySync.Server.Auth;
using TinySync.Server.Http;
using TinySync.Server.Signals;
using TinySync.Server.Storage;

namespace TinySync.Server.Apis;

/// <summary>Groups and the two kinds of edge that grant access (docs/protocol.md#authorization, #management-api). Edge operations are idempotent.</summary>
public static class GroupsApi
{
    /// <summary>Maps the routes.</summary>
    public static IEndpointRouteBuilder MapGroupsApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/v1/groups").RequireAdmin().WithTags("Groups");
        admin.MapGet("", List).WithName("listGroups").WithSummary("List groups").Produces<GroupList>();
        admin.MapGet("/{gid}", Get).WithName("getGroup").WithSummary("Get one group with its devices and vaults").Produces<GroupView>();
        admin.MapPut("/{gid}", Put).WithName("putGroup").WithSummary("Create or update a group").Accepts<GroupRequest>("application/json").Produces<GroupView>().Produces<GroupView>(StatusCodes.Status201Created);
        admin.MapDelete("/{gid}", Delete).WithName("deleteGroup").WithSummary("Delete a group and its edges").Produces(StatusCodes.Status204NoContent);
        admin.MapPut("/{gid}/devices/{did}", AddDevice).WithName("addGroupDevice").WithSummary("Add a device to a group").Produces<EdgeView>();
        admin.MapDelete("/{gid}/devices/{did}", RemoveDevice).WithName("removeGroupDevice").WithSummary("Remove a device from a group").Produces(StatusCodes.Status204NoContent);
        admin.MapPut("/{gid}/vaults/{vid}", AddVault).WithName("addGroupVault").WithSummary("Give a group access to a vault").Produces<EdgeView>();
        admin.MapDelete("/{gid}/vaults/{vid}", RemoveVault).WithName("removeGroupVault").WithSummary("Take a vault away from a group").Produces(StatusCodes.Status204NoContent);
        return app;
    }

    static async Task<IResult> List(string? after, string? limit, IStore store, CancellationToken ct)
    {
        if (!Input.TryLimit(limit, out var n, out var problem)) return problem;
        if (after is not null && !GroupId.IsValid(after)) return Problems.InvalidGroupId(after);
        return TypedResults.Ok(await store.ListGroupsAsync(after, n, ct));
    }

    static async Task<IResult> Get(string gid, IStore store, CancellationToken ct)
    {
        if (!GroupId.IsValid(gid)) return Problems.InvalidGroupId(gid);
        return await store.GetGroupAsync(gid, ct) is { } g ? TypedResults.Ok(g) : Problems.NotFound(ProblemCodes.GroupNotFound, $"no group '{gid}'");
    }

    static async Task<IResult> Put(string gid, HttpContext http, IStore store, TimeProvider clock, CancellationToken ct)
    {
        if (!GroupId.IsValid(gid)) return Problems.InvalidGroupId(gid);
        GroupRequest body = new();
        if (http.Request.ContentLength is not 0 || http.Request.Headers.TransferEncoding.Count > 0)
        {
            var (read, problem) = await JsonBody.ReadAsync<GroupRequest>(http, ct);
            if (problem is not null) return problem;
            body = read!;
        }
        if (!Input.TryText(body.Name, "name", 200, out var bad, optional: true)) return bad;
        if (!Input.TryText(body.Ecosystem, "ecosystem", 128, out bad, optional: true)) return bad;
        var (group, created) = await store.UpsertGroupAsync(gid, body.Name, body.Ecosystem, clock.GetUtcNow(), ct);
        return created ? TypedResults.Created($"/v1/groups/{gid}", group) : TypedResults.Ok(group);
    }

    static async Task<IResult> Delete(string gid, IStore store, ISignalBus signals, TimeProvider clock, CancellationToken ct)
    {
        if (!GroupId.IsValid(gid)) return Problems.InvalidGroupId(gid);
        if (await store.DeleteGroupAsync(gid, clock.GetUtcNow(), ct)) signals.PublishAccessChanged();
        return TypedResults.NoContent();
    }

    static async Task<IResult> AddDevice(string gid, string did, IStore store, TimeProvider clock, CancellationToken ct)
    {
        if (!GroupId.IsValid(gid)) return Problems.InvalidGroupId(gid);
        if (!Input.TryId(did, "device id", out var id, out var problem)) return problem;
        return await store.AddDeviceToGroupAsync(gid, id, clock.GetUtcNow(), ct) switch
        {
            EdgeOutcome.DeviceNotFound => Problems.NotFound(ProblemCodes.DeviceNotFound, $"no device {id}"),
            EdgeOutcome.DeviceRevoked => Problems.Conflict(ProblemCodes.DeviceIsRevoked, $"device {id} is revoked and cannot join groups; register a new device"),
            var o => TypedResults.Ok(new EdgeView(gid, id, null, o == EdgeOutcome.Changed)),
        };
    }

    static async Task<IResult> RemoveDevice(string gid, string did, IStore store, ISignalBus signals, TimeProvider clock, CancellationToken ct)
    {
        if (!GroupId.IsValid(gid)) return Problems.InvalidGroupId(gid);
        if (!Input.TryId(did, "device id", out var id, out var problem)) return problem;
        var outcome = await store.RemoveDeviceFromGroupAsync(gid, id, clock.GetUtcNow(), ct);
        if (outcome == EdgeOutcome.DeviceNotFound) return Problems.NotFound(ProblemCodes.DeviceNotFound, $"no device {id}");
        if (outcome == EdgeOutcome.Changed) signals.PublishAccessChanged();
        return TypedResults.NoContent();
    }

    static async Task<IResult> AddVault(string gid, string vid, IStore store, TimeProvider clock, CancellationToken ct)
    {
        if (!GroupId.IsValid(gid)) return Problems.InvalidGroupId(gid);
        if (!Input.TryId(vid, "vault id", out var id, out var problem)) return problem;
        return await store.AddVaultToGroupAsync(gid, id, clock.GetUtcNow(), ct) switch
        {
            EdgeOutcome.VaultNotFound => Problems.NotFound(ProblemCodes.VaultNotFound, $"no vault {id}"),
            var o => TypedResults.Ok(new EdgeView(gid, null, id, o == EdgeOutcome.Changed)),
        };
    }

    static async Task<IResult> RemoveVault(string gid, string vid, IStore store, ISignalBus signals, TimeProvider clock, CancellationToken ct)
    {
        if (!GroupId.IsValid(gid)) return Problems.InvalidGroupId(gid);
        if (!Input.TryId(vid, "vault id", out var id, out var problem)) return problem;
        var outcome = await store.RemoveVaultFromGroupAsync(gid, id, clock.GetUtcNow(), ct);
        if (outcome == EdgeOutcome.VaultNotFound) return Problems.NotFound(ProblemCodes.VaultNotFound, $"no vault {id}");
        if (outcome == EdgeOutcome.Changed) signals.PublishAccessChanged();
        return TypedResults.NoContent();
    }
}
