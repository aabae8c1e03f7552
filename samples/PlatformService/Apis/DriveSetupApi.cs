using System.Security.Cryptography;
using PlatformService.Events;
using TinySync.Management;

namespace PlatformService.Apis;

/// <summary>
/// The "Set up Drive" flow of seed 003: the app presents the user's credential, the service verifies it, registers a
/// device with the admin token, adds it to the user's groups and returns the device token once. The token lives in
/// this response and nowhere else on this side: not in the catalog, not in the call log (redacted by the client).
/// </summary>
internal static class DriveSetupApi
{
    public static IEndpointRouteBuilder MapDriveSetupApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/users/{uid}/drive-setup", SetUp);
        return app;
    }

    static async Task<IResult> SetUp(string uid, HttpContext http, Catalog.Catalog catalog, EventProcessor processor,
        Hosting.PlatformOptions options, CancellationToken ct)
    {
        var presented = http.Request.Headers.Authorization.ToString() is { } h && h.StartsWith("Bearer ", StringComparison.Ordinal) ? h[7..].Trim() : "";
        var user = await catalog.GetUserAsync(uid, ct);
        // Same answer for an unknown user and a wrong credential: user ids are not confirmed to strangers.
        if (user is null || presented.Length == 0 ||
            !CryptographicOperations.FixedTimeEquals(user.CredentialHash, EventProcessor.HashCredential(presented)))
            return Http.Problem(401, "invalid_credential", "present the user's credential as 'Authorization: Bearer <credential>'");
        if (user.DeletedAt is not null) return Http.Problem(403, "user_deleted", $"user '{uid}' was deleted");

        var (body, problem) = await Http.ReadObjectAsync(http, ct);
        if (problem is not null) return problem;
        var name = Http.String(body, "display_name") ?? await DefaultNameAsync(user, catalog, ct);
        if (name.Length is 0 or > 200 || name.Any(char.IsControl)) return Http.Problem(400, "invalid_argument", "display_name must be 1–200 characters");

        try
        {
            var (device, groups) = await processor.SetUpDriveAsync(user, name, ct);
            http.Response.Headers.CacheControl = "no-store";
            return TypedResults.Created($"/devices/{device.DeviceId:D}", new
            {
                device_id = device.DeviceId,
                token = device.Token, // the one copy; `tinysync login` adopts it
                display_name = device.DisplayName,
                registered_at = device.RegisteredAt,
                server = options.TinySyncUrl.AbsoluteUri,
                groups_status = groups.Status,
                groups_error = groups.Error,
            });
        }
        catch (TinySyncApiException e) when (e.IsTransient)
        {
            http.Response.Headers.RetryAfter = "5";
            return Http.Problem(503, "tinysync_unavailable",
                "TinySync cannot register the device right now; nothing was set up on this side, try again in a few seconds");
        }
        catch (TinySyncApiException e)
        {
            return Http.Problem(502, "tinysync_error", $"TinySync refused the registration ({e.Code}); the operator should check the call log");
        }
    }

    /// <summary>"Drive of Ada", then "Drive of Ada (2)", …: a user's devices never share the default name.</summary>
    static async Task<string> DefaultNameAsync(Catalog.UserRow user, Catalog.Catalog catalog, CancellationToken ct)
    {
        var taken = (await catalog.DevicesOfUserAsync(user.UserId, ct)).Select(d => d.DisplayName).ToHashSet(StringComparer.Ordinal);
        var name = $"Drive of {user.Name}";
        for (var n = 2; taken.Contains(name); n++) name = $"Drive of {user.Name} ({n})";
        return name;
    }
}
