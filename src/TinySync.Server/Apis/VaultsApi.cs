using TinySync.Core.Contracts;
using TinySync.Core.Identity;
using TinySync.Server.Auth;
using TinySync.Server.Http;
using TinySync.Server.Storage;

namespace TinySync.Server.Apis;

/// <summary>Management of vaults and their containers (docs/protocol.md#management-api). Admin token only.</summary>
public static class VaultsApi
{
    /// <summary>Maps the routes.</summary>
    public static IEndpointRouteBuilder MapVaultsApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/v1/vaults").RequireAdmin().WithTags("Vaults");
        admin.MapPost("", Create).WithName("createVault").WithSummary("Create a vault with a server-chosen id").Accepts<VaultRequest>("application/json").Produces<VaultView>(StatusCodes.Status201Created);
        admin.MapGet("", List).WithName("listVaults").WithSummary("List vaults").Produces<VaultList>();
        admin.MapGet("/{vid}", Get).WithName("getVault").WithSummary("Get one vault with its containers").Produces<VaultView>();
        admin.MapPut("/{vid}", Put).WithName("putVault").WithSummary("Create or rename a vault with a caller-chosen id").Accepts<VaultRequest>("application/json").Produces<VaultView>().Produces<VaultView>(StatusCodes.Status201Created);
        admin.MapPut("/{vid}/containers/{name}", PutContainer).WithName("putContainer").WithSummary("Create or update a container of a vault").Accepts<ContainerRequest>("application/json").Produces<ContainerView>().Produces<ContainerView>(StatusCodes.Status201Created);
        return app;
    }

    static async Task<IResult> Create(HttpContext http, IStore store, TimeProvider clock, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync<VaultRequest>(http, ct);
        if (problem is not null) return problem;
        if (!Input.TryText(body!.Name, "name", 200, out problem)) return problem;
        var (vault, _) = await store.UpsertVaultAsync(Guid.CreateVersion7(), body.Name, clock.GetUtcNow(), ct);
        return TypedResults.Created($"/v1/vaults/{vault.VaultId}", vault);
    }

    static async Task<IResult> Put(string vid, HttpContext http, IStore store, TimeProvider clock, CancellationToken ct)
    {
        if (!Input.TryId(vid, "vault id", out var id, out var problem)) return problem;
        var (body, bodyProblem) = await JsonBody.ReadAsync<VaultRequest>(http, ct);
        if (bodyProblem is not null) return bodyProblem;
        if (!Input.TryText(body!.Name, "name", 200, out problem)) return problem;
        var (vault, created) = await store.UpsertVaultAsync(id, body.Name, clock.GetUtcNow(), ct);
        return created ? TypedResults.Created($"/v1/vaults/{id}", vault) : TypedResults.Ok(vault);
    }

    static async Task<IResult> List(string? after, string? limit, IStore store, CancellationToken ct)
    {
        if (!Input.TryLimit(limit, out var n, out var problem)) return problem;
        Guid? from = null;
        if (after is not null)
        {
            if (!Input.TryId(after, "vault id", out var a, out problem)) return problem;
            from = a;
        }
        return TypedResults.Ok(await store.ListVaultsAsync(from, n, ct));
    }

    static async Task<IResult> Get(string vid, IStore store, CancellationToken ct)
    {
        if (!Input.TryId(vid, "vault id", out var id, out var problem)) return problem;
        return await store.GetVaultAsync(id, ct) is { } vault ? TypedResults.Ok(vault) : Problems.NotFound(ProblemCodes.VaultNotFound, $"no vault {id}");
    }

    static async Task<IResult> PutContainer(string vid, string name, HttpContext http, IStore store, TimeProvider clock, CancellationToken ct)
    {
        if (!Input.TryId(vid, "vault id", out var id, out var problem)) return problem;
        if (!ContainerName.IsValid(name))
            return Problems.BadRequest(ProblemCodes.InvalidContainerName, $"'{Problems.Truncate(name)}' is not a valid container name: [a-z0-9][a-z0-9._-]{{0,63}}");
        var (body, bodyProblem) = await JsonBody.ReadAsync<ContainerRequest>(http, ct);
        if (bodyProblem is not null) return bodyProblem;
        if (!Input.TryText(body!.Namespace, "namespace", 128, out problem)) return problem;
        var policy = body.Policy ?? new ContainerPolicy();
        if (policy.MaxFileBytes is < 0)
            return Problems.BadRequest(ProblemCodes.InvalidArgument, "policy.max_file_bytes must be zero or more (or null for no limit)");
        var result = await store.UpsertContainerAsync(id, name, body.Namespace, policy, clock.GetUtcNow(), ct);
        if (result is not { } r) return Problems.NotFound(ProblemCodes.VaultNotFound, $"no vault {id}");
        return r.Created ? TypedResults.Created($"/v1/vaults/{id}/containers/{name}", r.Container) : TypedResults.Ok(r.Container);
    }
}
