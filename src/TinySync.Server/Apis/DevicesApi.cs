using TinySync.Core.Contracts;
using TinySync.Core.Identity;
using TinySync.Server.Auth;
using TinySync.Server.Hosting;
using TinySync.Server.Http;
using TinySync.Server.Observability;
using TinySync.Server.Signals;
using TinySync.Server.Storage;

namespace TinySync.Server.Apis;

/// <summary>Device registration and the management of devices (docs/protocol.md#identity-and-tokens, #management-api), plus <c>/v1/me</c> (#device-api).</summary>
public static class DevicesApi
{
    /// <summary>Maps the routes.</summary>
    public static IEndpointRouteBuilder MapDevicesApi(this IEndpointRouteBuilder app)
    {
        // Registration is open or admin-only depending on TINYSYNC_OPEN_DEVICE_REGISTRATION; it checks for itself.
        // Open registrations are throttled per client address; the admin token's are not (decision 0222).
        app.MapPost("/v1/devices", Register).WithName("registerDevice").WithSummary("Register a device and receive its token (admin token when registration is closed)")
            .WithMetadata(RequiredToken.Admin with { Optional = true }).WithTags("Devices").Accepts<RegisterDeviceRequest>("application/json")
            .Produces<DeviceRegistered>(StatusCodes.Status201Created).RequireRateLimiting(Throttling.RegistrationPolicy);

        var admin = app.MapGroup("/v1/devices").RequireAdmin().WithTags("Devices");
        admin.MapGet("", List).WithName("listDevices").WithSummary("List devices, page by page").Produces<DevicePage>();
        admin.MapGet("/{did}", Get).WithName("getDevice").WithSummary("Get one device").Produces<DeviceView>();
        admin.MapPost("/{did}/revoke", Revoke).WithName("revokeDevice").WithSummary("Revoke a device: its token stops working at once").Produces<DeviceView>();

        var me = app.MapGroup("/v1/me").RequireDevice().WithTags("Me");
        me.MapGet("", GetMe).WithName("getMe").WithSummary("The calling device: its groups and the vaults and containers it reaches").Produces<MeView>();
        me.MapPost("/revoke", RevokeMe).WithName("revokeMe").WithSummary("Revoke the calling device (logout)").Produces(StatusCodes.Status204NoContent);
        return app;
    }

    static async Task<IResult> Register(HttpContext http, IStore store, TinySyncOptions options, Authenticator auth,
        TimeProvider clock, ServerMetrics metrics, ILogger<Authenticator> log, CancellationToken ct)
    {
        if (!options.OpenDeviceRegistration && auth.AuthenticateAdmin(http) is { } denied)
        {
            return denied is IStatusCodeHttpResult { StatusCode: 401 } && !http.Request.Headers.Authorization.Any()
                ? Problems.Of(StatusCodes.Status401Unauthorized, ProblemCodes.RegistrationClosed,
                    "device registration is closed on this server; ask your Platform Service to set up the device")
                : denied;
        }
        var (body, problem) = await JsonBody.ReadAsync<RegisterDeviceRequest>(http, ct);
        if (problem is not null) return problem;
        if (!Input.TryText(body!.DisplayName, "display_name", 200, out problem)) return problem;

        var deviceId = Guid.CreateVersion7();
        var token = DeviceToken.Generate(deviceId);
        var device = await store.RegisterDeviceAsync(deviceId, body.DisplayName, token.ComputeHash(), clock.GetUtcNow(), ct);
        metrics.Registered();
        Log.DeviceRegistered(log, token.ToString(), body.DisplayName);
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Created($"/v1/devices/{deviceId}",
            new DeviceRegistered(deviceId, token.Reveal(), device.DisplayName, device.RegisteredAt));
    }

    static async Task<IResult> List(string? after, string? limit, IStore store, CancellationToken ct)
    {
        if (!Input.TryLimit(limit, out var n, out var problem)) return problem;
        Guid? from = null;
        if (after is not null)
        {
            if (!Input.TryId(after, "device id", out var a, out problem)) return problem;
            from = a;
        }
        return TypedResults.Ok(await store.ListDevicesAsync(from, n, ct));
    }

    static async Task<IResult> Get(string did, IStore store, CancellationToken ct)
    {
        if (!Input.TryId(did, "device id", out var id, out var problem)) return problem;
        return await store.GetDeviceAsync(id, ct) is { } device
            ? TypedResults.Ok(device)
            : Problems.NotFound(ProblemCodes.DeviceNotFound, $"no device {id}");
    }

    static async Task<IResult> Revoke(string did, IStore store, ISignalBus signals, Authenticator auth, TimeProvider clock,
        ServerMetrics metrics, ILogger<Authenticator> log, CancellationToken ct)
    {
        if (!Input.TryId(did, "device id", out var id, out var problem)) return problem;
        var outcome = await RevokeAsync(id, "admin", store, signals, auth, clock, metrics, log, ct);
        if (outcome == RevokeOutcome.NotFound) return Problems.NotFound(ProblemCodes.DeviceNotFound, $"no device {id}");
        return TypedResults.Ok(await store.GetDeviceAsync(id, ct));
    }

    static async Task<IResult> GetMe(HttpContext http, IStore store, CancellationToken ct) =>
        await store.GetMeAsync(http.Device().DeviceId, ct) is { } me
            ? JsonWire.Ok(me, WireJson.Default.MeView)
            : Problems.Of(StatusCodes.Status401Unauthorized, ProblemCodes.InvalidToken, "this device no longer exists");

    static async Task<IResult> RevokeMe(HttpContext http, IStore store, ISignalBus signals, Authenticator auth, TimeProvider clock,
        ServerMetrics metrics, ILogger<Authenticator> log, CancellationToken ct)
    {
        await RevokeAsync(http.Device().DeviceId, "self", store, signals, auth, clock, metrics, log, ct);
        return TypedResults.NoContent();
    }

    static async Task<RevokeOutcome> RevokeAsync(Guid id, string actor, IStore store, ISignalBus signals, Authenticator auth,
        TimeProvider clock, ServerMetrics metrics, ILogger log, CancellationToken ct)
    {
        var outcome = await store.RevokeDeviceAsync(id, clock.GetUtcNow(), actor, ct);
        if (outcome == RevokeOutcome.Revoked)
        {
            metrics.Revoked();
            auth.Forget(id);
            signals.PublishRevoked(id);
            Log.DeviceRevoked(log, DeviceToken.Redact(id), actor);
        }
        return outcome;
    }
}
