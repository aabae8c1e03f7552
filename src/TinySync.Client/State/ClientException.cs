namespace TinySync.Client.State;

/// <summary>
/// A failure the user can act on. <see cref="Exception.Message"/> is one line that says what happened and what to do
/// next; <see cref="Code"/> is stable for scripts.
/// </summary>
public class ClientException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ClientException(string code, string message, Exception? inner = null) : base(message, inner) => Code = code;

    /// <summary>Stable error code.</summary>
    public string Code { get; }
}

/// <summary>This device's token was revoked or is unknown to the server: syncing stops until a new login.</summary>
public sealed class DeviceRevokedException(string message, Exception? inner = null) : ClientException("device_revoked", message, inner);

/// <summary>The server could not be reached or kept failing; retrying later is the right move.</summary>
public sealed class ServerUnavailableException(string message, Exception? inner = null) : ClientException("server_unavailable", message, inner);

/// <summary>
/// The server's answers contradict each other (its log changes a path its fresh tree does not hold), again after the
/// client read the tree anew: the sync stops rather than re-reading forever; retrying later is the right move.
/// </summary>
public sealed class ServerInconsistentException(string message) : ClientException("server_inconsistent", message);

/// <summary>The server answered with a problem document the client does not handle specially.</summary>
public sealed class ApiProblemException(int status, string? problemCode, string message)
    : ClientException(problemCode ?? "http_" + status, message)
{
    /// <summary>HTTP status.</summary>
    public int Status { get; } = status;

    /// <summary>The problem's <c>code</c>, if any.</summary>
    public string? ProblemCode { get; } = problemCode;
}
