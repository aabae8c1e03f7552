namespace PlatformService.Catalog;

#pragma warning disable CS1591 // rows mirror the columns of 0001_catalog.sql

public sealed class UserRow
{
    public string UserId { get; init; } = "";
    public string Name { get; init; } = "";
    public byte[] CredentialHash { get; init; } = [];
    public string CreatedAt { get; init; } = "";
    public string? DeletedAt { get; init; }
}

public sealed class WorkspaceRow
{
    public string WorkspaceId { get; init; } = "";
    public string Name { get; init; } = "";
    public string GroupId { get; init; } = "";
    public string CreatedAt { get; init; } = "";
}

public sealed class MembershipRow
{
    public string UserId { get; init; } = "";
    public string WorkspaceId { get; init; } = "";
    public string JoinedAt { get; init; } = "";
}

public sealed class DeviceRow
{
    public string DeviceId { get; init; } = "";
    public string UserId { get; init; } = "";
    public string DisplayName { get; init; } = "";
    public string RegisteredAt { get; init; } = "";
    public string? RevokedAt { get; init; }
    public string? RevokeReason { get; init; }
}

public sealed class VaultRow
{
    public string WorkspaceId { get; init; } = "";
    public string VaultId { get; init; } = "";
    public string Name { get; init; } = "";
    public string AddedAt { get; init; } = "";
}

public sealed class EventRow
{
    public string EventId { get; init; } = "";
    public string Type { get; init; } = "";
    public string Body { get; init; } = "";
    public string ReceivedAt { get; init; } = "";
    public string Status { get; init; } = "";
    public long Attempts { get; init; }
    public string? AppliedAt { get; init; }
    public string? LastError { get; init; }
}

public sealed class CallRow
{
    public long Seq { get; init; }
    public string At { get; init; } = "";
    public string? Context { get; init; }
    public string Method { get; init; } = "";
    public string Path { get; init; } = "";
    public long? Status { get; init; }
    public double DurationMs { get; init; }
    public long Attempt { get; init; }
    public string? RequestBody { get; init; }
    public string? ResponseBody { get; init; }
    public string? Error { get; init; }
}

/// <summary>A page of the call log, newest first; <c>Total</c> calls are kept, <c>LastSeq</c> were ever made.</summary>
public sealed record CallsPage(List<CallRow> Calls, long Total, long LastSeq, bool HasOlder, bool HasNewer);

public sealed class ActivityRow
{
    public long Seq { get; init; }
    public string At { get; init; } = "";
    public string Level { get; init; } = "";
    public string? Context { get; init; }
    public string Message { get; init; } = "";
}

public static class EventStatus
{
    public const string Pending = "pending";
    public const string Applied = "applied";
    public const string Failed = "failed";
}
#pragma warning restore CS1591
