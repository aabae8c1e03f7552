using Microsoft.Net.Http.Headers;
using TinySync.Core.Contracts;
using TinySync.Core.Identity;
using TinySync.Server.Http;
using TinySync.Server.Observability;
using TinySync.Server.Storage;

namespace TinySync.Server.Auth;

/// <summary>
/// The answer to a write refused because the device's access ended while its request was open (decision 0220): the
/// problem a new request would get (401 <c>device_revoked</c>, or the 404 of an unreachable vault), a log line and
/// an audit row.
/// </summary>
internal static class AccessEnded
{
    public static async Task<IResult> AnswerAsync(HttpContext http, AccessEndedException refused, ILogger log)
    {
        var device = DeviceToken.Redact(refused.DeviceId);
        var route = $"{http.Request.Method} {http.Request.Path}";
        Log.WriteRefusedAccessEnded(log, http.Request.Method, http.Request.Path, device, refused.VaultId,
            refused.Revoked ? "the device was revoked" : "the device stopped reaching the vault");
        var services = http.RequestServices;
        try
        {
            // Not the request's token: the client may have gone, the record is still wanted.
            await services.GetRequiredService<IStore>().RecordWriteRefusedAsync(refused, route, services.GetRequiredService<TimeProvider>().GetUtcNow(),
                CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Log.WriteRefusedAuditFailed(log, e, device);
        }
        if (!refused.Revoked) return VaultAccess.NotFound(refused.VaultId);
        http.Response.Headers[HeaderNames.WWWAuthenticate] = "Bearer realm=\"tinysync\"";
        return Problems.Of(StatusCodes.Status401Unauthorized, ProblemCodes.DeviceRevoked,
            "this device was revoked; register it again to get a new device identity");
    }
}
