using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Net.Http.Headers;
using TinySync.Core.Contracts;
using TinySync.Core.Identity;
using TinySync.Server.Hosting;
using TinySync.Server.Http;
using TinySync.Server.Observability;
using TinySync.Server.Storage;

namespace TinySync.Server.Auth;

/// <summary>The device a request authenticated as.</summary>
public sealed record AuthenticatedDevice(Guid DeviceId);

/// <summary>
/// Authenticates bearer tokens: device tokens against the stored hash (constant time), the admin token against its
/// hash. On a vault route the credential and the vault's reach are read in one statement (decision 0507). Nothing is
/// cached: a revocation takes effect on the very next request. <c>last_seen_at</c> is written at most once a minute
/// per device, not once per request.
/// </summary>
public sealed class Authenticator(IStore store, AdminToken admin, TimeProvider clock, ServerMetrics metrics, AuthFailureThrottle throttle,
    ILogger<Authenticator> log)
{
    static readonly TimeSpan TouchInterval = TimeSpan.FromMinutes(1);
    readonly ConcurrentDictionary<Guid, long> _lastTouched = new();

    /// <summary>Checks the admin token; returns a problem to send when it is not presented.</summary>
    public IResult? AuthenticateAdmin(HttpContext http)
    {
        if (!TryReadBearer(http, out var presented, out var problem)) return Fail(http, problem);
        if (admin.Matches(presented)) return null;
        if (presented.StartsWith(DeviceToken.Prefix, StringComparison.Ordinal))
            return Fail(http, Problems.Of(StatusCodes.Status403Forbidden, ProblemCodes.AdminTokenRequired,
                "this management route takes the admin token, not a device token"));
        return Fail(http, Unauthorized(ProblemCodes.InvalidToken, "the admin token is not valid; check TINYSYNC_ADMIN_TOKEN or the admin-token file in the server's data directory"));
    }

    /// <summary>Authenticates a device token; on success the device is attached to the request.</summary>
    public async Task<IResult?> AuthenticateDeviceAsync(HttpContext http, CancellationToken ct)
    {
        var (device, problem, known) = await ResolveDeviceAsync(http, ct).ConfigureAwait(false);
        if (device is null) return Fail(http, problem!, known);
        http.Items[typeof(AuthenticatedDevice)] = device;
        return null;
    }

    /// <summary>
    /// Resolves the presented device token to a live device, or the problem to answer and, when the token named a
    /// device that exists, its id (failures are throttled per device id only for devices that exist).
    /// </summary>
    async Task<(AuthenticatedDevice? Device, IResult? Problem, Guid? Known)> ResolveDeviceAsync(HttpContext http, CancellationToken ct)
    {
        if (!TryReadBearerHeader(http, out var header, out var problem)) return (null, problem, null);
        // Parsed from the header in place and hashed at once: no copy of the token or its secret on the heap.
        var presentedHash = new byte[32];
        if (!DeviceToken.TryParseToHash(BearerValue(header), out var deviceId, presentedHash, out var error))
        {
            if (admin.Matches(BearerValue(header).ToString()))
                return (null, Problems.Of(StatusCodes.Status403Forbidden, ProblemCodes.DeviceTokenRequired,
                    "this route acts as a device; the admin token cannot be used here"), null);
            return (null, Unauthorized(ProblemCodes.MalformedToken, $"the bearer token is not a device token: {error}"), null);
        }
        // On a vault route the vault's reach comes in the same statement, looked up only once the stored hash equals
        // the presented one (so an unknown device and a wrong secret still cost the same); decided below as before.
        var vault = VaultOfRoute(http);
        var credential = vault is { } asked
            ? await store.FindCredentialAsync(deviceId, asked, presentedHash, ct).ConfigureAwait(false)
            : await store.FindCredentialAsync(deviceId, ct).ConfigureAwait(false);
        // Unknown device and wrong secret answer alike, so device ids cannot be probed.
        if (credential is null || !DeviceToken.HashMatches(presentedHash, credential.Hash))
            return (null, Unauthorized(ProblemCodes.InvalidToken, "the device token is not valid; run `tinysync register` or `tinysync login` again"),
                credential is null ? null : deviceId);
        if (credential.RevokedAt is not null)
            return (null, Unauthorized(ProblemCodes.DeviceRevoked, "this device was revoked; register it again to get a new device identity"), deviceId);
        if (vault is { } checkedVault) http.Items[typeof(VaultReach)] = new VaultReach(checkedVault, credential.ReachesVault);
        await TouchAsync(deviceId, ct).ConfigureAwait(false);
        return (new AuthenticatedDevice(deviceId), null, null);
    }

    // The {vid} of a vault route, when it is a well-formed id (the vault filter answers a malformed one).
    static Guid? VaultOfRoute(HttpContext http) =>
        http.Request.RouteValues.TryGetValue("vid", out var raw) && raw is string s && Guid.TryParse(s, out var id) ? id : null;

    async Task TouchAsync(Guid deviceId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var last = _lastTouched.GetOrAdd(deviceId, 0);
        if (now.UtcTicks - last < TouchInterval.Ticks) return;
        if (!_lastTouched.TryUpdate(deviceId, now.UtcTicks, last)) return; // a concurrent request of this device does it
        try
        {
            await store.TouchDeviceAsync(deviceId, now, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // last_seen_at is best effort; never fail a request for it
            Log.TouchFailed(log, DeviceToken.Redact(deviceId), e.GetType().Name);
        }
    }

    /// <summary>Forgets the last-seen bookkeeping of a device (after revocation).</summary>
    public void Forget(Guid deviceId) => _lastTouched.TryRemove(deviceId, out _);

    IResult Fail(HttpContext http, IResult problem, Guid? knownDevice = null)
    {
        metrics.AuthFailure(problem is IStatusCodeHttpResult { StatusCode: 403 } ? "forbidden" : "unauthorized");
        if (problem is not IStatusCodeHttpResult { StatusCode: 401 }) return problem; // a valid token of the wrong kind is no guess
        // Counted only now that the token has been checked: a valid token never reaches this line (decision 0222).
        if (throttle.Count(http, knownDevice) is { } throttled) return throttled;
        http.Response.Headers[HeaderNames.WWWAuthenticate] = "Bearer realm=\"tinysync\"";
        return problem;
    }

    static IResult Unauthorized(string code, string detail) => Problems.Of(StatusCodes.Status401Unauthorized, code, detail);

    static bool TryReadBearer(HttpContext http, [NotNullWhen(true)] out string? token, [NotNullWhen(false)] out IResult? problem)
    {
        if (!TryReadBearerHeader(http, out var header, out problem))
        {
            token = null;
            return false;
        }
        token = BearerValue(header).ToString();
        return true;
    }

    /// <summary>The token part of an Authorization header that <see cref="TryReadBearerHeader"/> accepted.</summary>
    static ReadOnlySpan<char> BearerValue(string header) => header.AsSpan(7).Trim();

    static bool TryReadBearerHeader(HttpContext http, [NotNullWhen(true)] out string? header, [NotNullWhen(false)] out IResult? problem)
    {
        header = null;
        var values = http.Request.Headers.Authorization;
        if (values.Count == 0 || string.IsNullOrWhiteSpace(values[0]))
        {
            problem = Unauthorized(ProblemCodes.MissingToken, "send 'Authorization: Bearer <token>'");
            return false;
        }
        if (values.Count > 1)
        {
            problem = Unauthorized(ProblemCodes.MalformedToken, "send exactly one Authorization header");
            return false;
        }
        var value = values[0]!;
        if (!value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || value.Length <= 7)
        {
            problem = Unauthorized(ProblemCodes.MalformedToken, "the Authorization header must use the Bearer scheme: 'Bearer <token>'");
            return false;
        }
        header = value;
        problem = null;
        return true;
    }
}

/// <summary>Route-group filters that put authentication in front of every endpoint of a group.</summary>
public static class AuthFilters
{
    /// <summary>Every endpoint of the group requires the admin token.</summary>
    public static TBuilder RequireAdmin<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(RequiredToken.Admin).AddEndpointFilter(static async (ctx, next) =>
            ctx.HttpContext.RequestServices.GetRequiredService<Authenticator>().AuthenticateAdmin(ctx.HttpContext) ?? await next(ctx).ConfigureAwait(false));

    /// <summary>Every endpoint of the group requires a live device token.</summary>
    public static TBuilder RequireDevice<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(RequiredToken.Device).AddEndpointFilter(static async (ctx, next) =>
            await ctx.HttpContext.RequestServices.GetRequiredService<Authenticator>()
                .AuthenticateDeviceAsync(ctx.HttpContext, ctx.HttpContext.RequestAborted).ConfigureAwait(false)
            ?? await next(ctx).ConfigureAwait(false));

    /// <summary>The device the request authenticated as (only inside <see cref="RequireDevice{TBuilder}"/> groups).</summary>
    public static AuthenticatedDevice Device(this HttpContext http) =>
        http.Items[typeof(AuthenticatedDevice)] as AuthenticatedDevice
        ?? throw new InvalidOperationException("endpoint is not behind RequireDevice");
}

/// <summary>
/// Endpoint metadata: which bearer token a route takes (the OpenAPI document declares it as the operation's security).
/// </summary>
/// <param name="Scheme">The security scheme's name in the document.</param>
/// <param name="Optional">True when the route also answers without a token (registration while it is open).</param>
public sealed record RequiredToken(string Scheme, bool Optional = false)
{
    /// <summary>A device token <c>tsdev_…</c>.</summary>
    public static readonly RequiredToken Device = new("deviceToken");

    /// <summary>The admin token.</summary>
    public static readonly RequiredToken Admin = new("adminToken");
}
