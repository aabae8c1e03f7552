namespace TinySync.Management;

/// <summary>
/// Sees every HTTP exchange the client makes (each retry attempt separately), for call logs and dashboards.
/// Everything it receives is already redacted: the admin token and every device token (<c>tsdev_{id}_***</c>),
/// so an observer may store or show what it gets as is. The raw token of a registration reaches only the caller.
/// </summary>
public interface IManagementCallObserver
{
    /// <summary>
    /// Called after each attempt, with the answer or the transport error. An exception thrown here is swallowed:
    /// a failing log must never cost the caller an answer (a lost registration answer would orphan a device).
    /// </summary>
    ValueTask OnCallAsync(ManagementCall call, CancellationToken cancellationToken);
}

/// <summary>One HTTP exchange with the TinySync server, tokens redacted.</summary>
/// <param name="Method">HTTP method, e.g. <c>PUT</c>.</param>
/// <param name="Path">Request path and query, e.g. <c>/v1/groups/ws-1/devices/…</c>.</param>
/// <param name="Status">HTTP status, or null when no answer arrived.</param>
/// <param name="Duration">Time from sending the request to reading the whole answer.</param>
/// <param name="RequestBody">The JSON sent, redacted; null when there was no body.</param>
/// <param name="ResponseBody">The answer's body, redacted and cut at <see cref="ManagementClientOptions.MaxObservedBodyChars"/>; null when no answer.</param>
/// <param name="Attempt">1 for the first attempt, 2 for the first retry, and so on.</param>
/// <param name="Error">The transport error when no answer arrived (redacted), else null.</param>
/// <param name="StartedAt">When the attempt started.</param>
public sealed record ManagementCall(
    string Method,
    string Path,
    int? Status,
    TimeSpan Duration,
    string? RequestBody,
    string? ResponseBody,
    int Attempt,
    string? Error,
    DateTimeOffset StartedAt);
