namespace TinySync.Core.Contracts;

/// <summary>RFC 9457 problem details with TinySync's stable <c>code</c>.</summary>
public sealed record Problem
{
    /// <summary>A URI reference for the problem type.</summary>
    public string? Type { get; init; }
    /// <summary>Short summary.</summary>
    public string? Title { get; init; }
    /// <summary>HTTP status.</summary>
    public int? Status { get; init; }
    /// <summary>What happened and what to do next.</summary>
    public string? Detail { get; init; }
    /// <summary>The request path.</summary>
    public string? Instance { get; init; }
    /// <summary>Stable machine-readable code.</summary>
    public string? Code { get; init; }
    /// <summary>Request id for correlating with server logs.</summary>
    public string? TraceId { get; init; }
}

/// <summary>Stable problem codes shared by server and clients.</summary>
public static class ProblemCodes
{
#pragma warning disable CS1591 // names say it
    public const string MissingToken = "missing_token";
    public const string MalformedToken = "malformed_token";
    public const string InvalidToken = "invalid_token";
    public const string DeviceRevoked = "device_revoked";
    public const string AdminTokenRequired = "admin_token_required";
    public const string DeviceTokenRequired = "device_token_required";
    public const string RegistrationClosed = "registration_closed";
    public const string InvalidId = "invalid_id";
    public const string InvalidGroupId = "invalid_group_id";
    public const string InvalidContainerName = "invalid_container_name";
    public const string InvalidJson = "invalid_json";
    public const string InvalidArgument = "invalid_argument";
    public const string BodyTooLarge = "body_too_large";
    public const string UnsupportedMediaType = "unsupported_media_type";
    public const string NotFound = "not_found";
    public const string DeviceNotFound = "device_not_found";
    public const string VaultNotFound = "vault_not_found";
    public const string GroupNotFound = "group_not_found";
    public const string DeviceIsRevoked = "device_is_revoked";
    public const string ChunkHashMismatch = "chunk_hash_mismatch";
    public const string InvalidHash = "invalid_hash";
    public const string BatchTooLarge = "batch_too_large";
    public const string MalformedBatch = "malformed_batch";
    public const string CursorAhead = "cursor_ahead";
    public const string ContainerNotFound = "container_not_found";
    public const string InvalidPath = "invalid_path";
    public const string ChunkNotFound = "chunk_not_found";
    public const string ChunkTooLarge = "chunk_too_large";
    public const string ChunkCorrupted = "chunk_corrupted";
    public const string ChunkUnavailable = "chunk_unavailable";
    public const string TooManyHashes = "too_many_hashes";
    public const string Unavailable = "unavailable";
    public const string InternalError = "internal_error";
    public const string MethodNotAllowed = "method_not_allowed";
    public const string DuplicateOpId = "duplicate_op_id";
    public const string TooManyRequests = "too_many_requests";
    public const string BodyTimeout = "body_timeout";
#pragma warning restore CS1591
}
