using System.Net;
using TinySync.Core.Contracts;

namespace TinySync.Management;

/// <summary>
/// The TinySync server answered with an error (an RFC 9457 problem), or could not be reached at all
/// (<see cref="TinySyncUnavailableException"/>). <see cref="Code"/> is the server's stable problem code
/// (see <see cref="ProblemCodes"/>); branch on it or on the subclasses, never on <see cref="Exception.Message"/>.
/// </summary>
public class TinySyncApiException : Exception
{
    /// <summary>Creates an exception for an error answer.</summary>
    public TinySyncApiException(HttpMethod method, string path, HttpStatusCode? status, Problem? problem, string message, Exception? inner = null)
        : base(message, inner)
    {
        Method = method;
        Path = path;
        StatusCode = status;
        Problem = problem;
    }

    /// <summary>The HTTP method of the failed call.</summary>
    public HttpMethod Method { get; }

    /// <summary>The request path of the failed call, e.g. <c>/v1/groups/team-a/devices/…</c>.</summary>
    public string Path { get; }

    /// <summary>The HTTP status, or null when no answer arrived (network failure, timeout).</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>The problem details the server sent, when it sent any.</summary>
    public Problem? Problem { get; }

    /// <summary>The stable problem code (<see cref="ProblemCodes"/>), e.g. <c>device_not_found</c>; <c>unreachable</c> when no answer arrived.</summary>
    public string Code => Problem?.Code ?? (StatusCode is null ? UnreachableCode : $"http_{(int)StatusCode}");

    /// <summary>The server's explanation of what happened and what to do next.</summary>
    public string? Detail => Problem?.Detail;

    /// <summary>The server's trace id for this request, to find it in the server log.</summary>
    public string? TraceId => Problem?.TraceId;

    /// <summary>True when retrying later may succeed: no answer, 429, 502, 503 or 504.</summary>
    public bool IsTransient => StatusCode is null or HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway
        or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;

    /// <summary>The <see cref="Code"/> of a call that got no answer.</summary>
    public const string UnreachableCode = "unreachable";

    internal static TinySyncApiException From(HttpMethod method, string path, HttpStatusCode status, Problem? problem)
    {
        var message = $"{method} {path} failed with {(int)status} {problem?.Code ?? status.ToString()}" +
                      (problem?.Detail is { } d ? $": {d}" : "");
        return status switch
        {
            HttpStatusCode.NotFound => new TinySyncNotFoundException(method, path, problem, message),
            HttpStatusCode.Conflict => new TinySyncConflictException(method, path, problem, message),
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new TinySyncUnauthorizedException(method, path, status, problem, message),
            _ => new TinySyncApiException(method, path, status, problem, message),
        };
    }
}

/// <summary>404: the device, vault or group does not exist (codes <c>device_not_found</c>, <c>vault_not_found</c>, <c>group_not_found</c>).</summary>
public sealed class TinySyncNotFoundException(HttpMethod method, string path, Problem? problem, string message)
    : TinySyncApiException(method, path, HttpStatusCode.NotFound, problem, message);

/// <summary>409: the change contradicts the server's state, e.g. adding a revoked device to a group (<c>device_is_revoked</c>).</summary>
public sealed class TinySyncConflictException(HttpMethod method, string path, Problem? problem, string message)
    : TinySyncApiException(method, path, HttpStatusCode.Conflict, problem, message);

/// <summary>401 or 403: the admin token is missing or wrong, or registration is closed (<c>registration_closed</c>).</summary>
public sealed class TinySyncUnauthorizedException(HttpMethod method, string path, HttpStatusCode status, Problem? problem, string message)
    : TinySyncApiException(method, path, status, problem, message);

/// <summary>
/// No answer arrived (connection refused, reset, timeout) after the retries allowed for this call. For the two
/// non-idempotent calls (registration, <c>POST /v1/vaults</c>), the request may or may not have been applied.
/// </summary>
public sealed class TinySyncUnavailableException(HttpMethod method, string path, string message, Exception inner)
    : TinySyncApiException(method, path, null, null, message, inner);
