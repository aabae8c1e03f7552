using TinySync.Core.Contracts;
using TinySync.Server.Http;
using TinySync.Server.Storage;

namespace TinySync.Server.Auth;

/// <summary>The vault a device route acts on, after the access check.</summary>
public sealed record AccessibleVault(Guid VaultId);

/// <summary>Whether the device reaches the route's vault, as the authentication filter read it with the credential.</summary>
public sealed record VaultReach(Guid VaultId, bool Reaches);

/// <summary>
/// The access check of every <c>/v1/vaults/{vid}/...</c> device route, resolved from the edges at every request.
/// An unknown vault and a vault the device cannot reach answer the same 404, so vault ids are not confirmed.
/// </summary>
public static class VaultAccess
{
    /// <summary>Every endpoint of the group requires that the authenticated device reaches <c>{vid}</c>.</summary>
    public static TBuilder RequireVaultAccess<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(static async (ctx, next) =>
        {
            var http = ctx.HttpContext;
            var raw = http.Request.RouteValues["vid"] as string ?? "";
            if (!Input.TryId(raw, "vault id", out var vaultId, out var problem)) return problem;
            // Read together with the credential in one statement (decision 0507) unless the id was not well-formed.
            var reaches = http.Items[typeof(VaultReach)] is VaultReach known && known.VaultId == vaultId
                ? known.Reaches
                : await http.RequestServices.GetRequiredService<IStore>().CanAccessAsync(http.Device().DeviceId, vaultId, http.RequestAborted).ConfigureAwait(false);
            if (!reaches) return NotFound(vaultId);
            http.Items[typeof(AccessibleVault)] = new AccessibleVault(vaultId);
            return await next(ctx).ConfigureAwait(false);
        });

    /// <summary>The vault the request passed the access check for.</summary>
    public static Guid VaultId(this HttpContext http) =>
        (http.Items[typeof(AccessibleVault)] as AccessibleVault
         ?? throw new InvalidOperationException("endpoint is not behind RequireVaultAccess")).VaultId;

    /// <summary>The one answer for unknown and unreachable vaults.</summary>
    public static IResult NotFound(Guid vaultId) =>
        Problems.NotFound(ProblemCodes.VaultNotFound, $"no vault {vaultId} is reachable by this device; check the id with GET /v1/me");
}
