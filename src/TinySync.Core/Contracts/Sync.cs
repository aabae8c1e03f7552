using System.Text.Json.Serialization;

namespace TinySync.Core.Contracts;

// Vault sync API shapes (docs/protocol.md#device-api and #operations). Other programs are written against these names.

/// <summary>Kinds of mutation.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<OpKind>))]
public enum OpKind
{
    /// <summary>Create or replace a file.</summary>
    [JsonStringEnumMemberName("put")] Put,
    /// <summary>Create a directory.</summary>
    [JsonStringEnumMemberName("mkdir")] Mkdir,
    /// <summary>Delete a file, or a directory with its subtree.</summary>
    [JsonStringEnumMemberName("delete")] Delete,
    /// <summary>Rename a file or a whole directory subtree.</summary>
    [JsonStringEnumMemberName("move")] Move,
}

/// <summary>Item kinds.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ItemKind>))]
public enum ItemKind
{
    /// <summary>A regular file.</summary>
    [JsonStringEnumMemberName("file")] File,
    /// <summary>A directory (explicit item).</summary>
    [JsonStringEnumMemberName("dir")] Dir,
}

/// <summary>One mutation in a batch.</summary>
public sealed record Op
{
    /// <summary>Client-chosen id; retried ops with the same id from the same device commit once.</summary>
    public required Guid OpId { get; init; }
    /// <summary>Kind of mutation.</summary>
    public required OpKind Kind { get; init; }
    /// <summary>Container name; <c>default</c> when omitted.</summary>
    public string Container { get; init; } = "default";
    /// <summary>Item path.</summary>
    public required string Path { get; init; }
    /// <summary>Target path of a <c>move</c>.</summary>
    public string? NewPath { get; init; }
    /// <summary>The version at which the client last saw the item change; 0 = must not exist.</summary>
    public required long Base { get; init; }
    /// <summary>
    /// Delete only, optional (docs/protocol.md#conflicts, decision 0712): the log seq through which the client's
    /// view is complete (its cursor). A directory delete is then a conflict when anything in the subtree changed after
    /// it — a file the client never saw is never deleted with its folder.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Seen { get; init; }
    /// <summary>File size (put).</summary>
    public long? Size { get; init; }
    /// <summary>Ordered chunk hashes, lowercase SHA-256 hex (put).</summary>
    public IReadOnlyList<string>? Chunks { get; init; }
    /// <summary>Executable bit (put).</summary>
    public bool? Executable { get; init; }
    /// <summary>Modification time (put).</summary>
    public DateTimeOffset? Mtime { get; init; }
}

/// <summary>Op ids as TinySync clients make them.</summary>
public static class OpIds
{
    /// <summary>
    /// A new op id: a UUIDv7 (RFC 9562), time-ordered, so a device's ids land at the end of the server's idempotency
    /// index instead of on a random page each (decision 0314). Any UUID stays valid on the wire.
    /// </summary>
    public static Guid New() => Guid.CreateVersion7();
}

/// <summary><c>POST /v1/vaults/{vid}/ops</c> body.</summary>
public sealed record OpsRequest(IReadOnlyList<Op> Ops);

/// <summary>Statuses of an op result.</summary>
public static class OpStatus
{
    /// <summary>Applied; <c>seq</c> is the item's new version.</summary>
    public const string Committed = "committed";
    /// <summary>The base did not match; <c>current</c> is the item as it is now (null if absent).</summary>
    public const string Conflict = "conflict";
    /// <summary>Not applied for a reason given by <c>code</c>.</summary>
    public const string Rejected = "rejected";
}

/// <summary>Result of one op.</summary>
public sealed record OpResult
{
    /// <summary>The op this answers.</summary>
    public required Guid OpId { get; init; }
    /// <summary>committed, conflict or rejected.</summary>
    public required string Status { get; init; }
    /// <summary>Seq of the commit (committed only).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Seq { get; init; }
    /// <summary>The current item (conflict only; null when the item does not exist).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Item? Current { get; init; }
    /// <summary>Stable rejection code (rejected only).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Code { get; init; }
    /// <summary>Human-readable reason (rejected only).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Detail { get; init; }
}

/// <summary>Answer to an ops batch.</summary>
public sealed record OpsResponse(IReadOnlyList<OpResult> Results, long Head);

/// <summary>A live item of a container.</summary>
public sealed record Item
{
    /// <summary>Path, case preserved.</summary>
    public required string Path { get; init; }
    /// <summary>file or dir.</summary>
    public required ItemKind Kind { get; init; }
    /// <summary>The seq of the item's last change.</summary>
    public required long Version { get; init; }
    /// <summary>Size in bytes (files).</summary>
    public long? Size { get; init; }
    /// <summary>Ordered chunk hashes (files).</summary>
    public IReadOnlyList<string>? Chunks { get; init; }
    /// <summary>Executable bit (files).</summary>
    public bool? Executable { get; init; }
    /// <summary>Modification time (files).</summary>
    public DateTimeOffset? Mtime { get; init; }
}

/// <summary>One row of a vault's change log.</summary>
public sealed record LogEntry
{
    /// <summary>Position in the vault's log, dense from 1.</summary>
    public required long Seq { get; init; }
    /// <summary>The op that produced this row.</summary>
    public required Guid OpId { get; init; }
    /// <summary>Origin device (echo suppression, attribution).</summary>
    public required Guid DeviceId { get; init; }
    /// <summary>Kind of mutation.</summary>
    public required OpKind Kind { get; init; }
    /// <summary>Container.</summary>
    public required string Container { get; init; }
    /// <summary>Path (the source, for a move).</summary>
    public required string Path { get; init; }
    /// <summary>Target of a move.</summary>
    public string? NewPath { get; init; }
    /// <summary>Size (put).</summary>
    public long? Size { get; init; }
    /// <summary>Chunks (put).</summary>
    public IReadOnlyList<string>? Chunks { get; init; }
    /// <summary>Executable bit (put).</summary>
    public bool? Executable { get; init; }
    /// <summary>Mtime (put).</summary>
    public DateTimeOffset? Mtime { get; init; }
    /// <summary>When the server committed the row.</summary>
    public required DateTimeOffset CommittedAt { get; init; }
}

/// <summary>A page of the change log.</summary>
public sealed record LogPage(IReadOnlyList<LogEntry> Entries, long Head, bool HasMore);

/// <summary>A page of a container's live tree, as of seq <c>Seq</c>.</summary>
public sealed record TreePage(long Seq, IReadOnlyList<Item> Entries, string? Next);

/// <summary><c>POST /v1/vaults/{vid}/chunks/missing</c> body.</summary>
public sealed record MissingChunksRequest(IReadOnlyList<string> Hashes);

/// <summary>The hashes of the request the vault does not hold.</summary>
public sealed record MissingChunksResponse(IReadOnlyList<string> Missing);

/// <summary>One retained version of a path (history / restore).</summary>
public sealed record HistoryEntry
{
    /// <summary>Seq of the change.</summary>
    public required long Seq { get; init; }
    /// <summary>Kind of change that produced this version.</summary>
    public required OpKind Kind { get; init; }
    /// <summary>Path at that version.</summary>
    public required string Path { get; init; }
    /// <summary>For a move: the item's path before it (<see cref="Path"/> is where it went).</summary>
    public string? MovedFrom { get; init; }
    /// <summary>Device that made the change.</summary>
    public required Guid DeviceId { get; init; }
    /// <summary>That device's display name (null if the server no longer knows the device).</summary>
    public string? DeviceName { get; init; }
    /// <summary>When it was committed.</summary>
    public required DateTimeOffset CommittedAt { get; init; }
    /// <summary>Size of the file at this version (put, and a move of a file whose content the server knows).</summary>
    public long? Size { get; init; }
    /// <summary>Chunks of the file at this version; restorable while retained.</summary>
    public IReadOnlyList<string>? Chunks { get; init; }
    /// <summary>Executable bit at this version.</summary>
    public bool? Executable { get; init; }
    /// <summary>Mtime at this version.</summary>
    public DateTimeOffset? Mtime { get; init; }
}

/// <summary>History of an item, newest first, following it back across moves of itself and of its folders.</summary>
public sealed record HistoryPage(string Path, IReadOnlyList<HistoryEntry> Versions);

/// <summary>A deleted file still restorable: where it was, who deleted it when, and its last version.</summary>
public sealed record DeletedEntry
{
    /// <summary>The file's path when it was deleted (with its folder, or by itself).</summary>
    public required string Path { get; init; }
    /// <summary>Seq of the delete (of the file or of a folder above it).</summary>
    public required long DeletedSeq { get; init; }
    /// <summary>When the delete was committed.</summary>
    public required DateTimeOffset DeletedAt { get; init; }
    /// <summary>Device that deleted it.</summary>
    public required Guid DeviceId { get; init; }
    /// <summary>That device's display name (null if the server no longer knows the device).</summary>
    public string? DeviceName { get; init; }
    /// <summary>The version the file had when deleted (seq of its last change).</summary>
    public required long Version { get; init; }
    /// <summary>Its size at that version.</summary>
    public required long Size { get; init; }
}

/// <summary>A page of deleted files in path order; <c>Next</c> is passed back as <c>cursor</c> for the next page.</summary>
public sealed record DeletedPage(IReadOnlyList<DeletedEntry> Entries, string? Next);

/// <summary>Stable <c>code</c> values of <c>rejected</c> op results. A rejected op changed nothing.</summary>
public static class RejectCodes
{
    /// <summary>The path (or new_path) breaks the path rules (docs/protocol.md#paths).</summary>
    public const string InvalidPath = "invalid_path";
    /// <summary>The op names a container the vault does not have.</summary>
    public const string UnknownContainer = "unknown_container";
    /// <summary>The container's policy is read-only.</summary>
    public const string ReadOnly = "read_only";
    /// <summary>The file is larger than the container's <c>max_file_bytes</c>.</summary>
    public const string FileTooLarge = "file_too_large";
    /// <summary>A put references chunks this vault does not hold; upload them first.</summary>
    public const string MissingChunks = "missing_chunks";
    /// <summary>A put's size is not the sum of its chunks' sizes.</summary>
    public const string SizeMismatch = "size_mismatch";
    /// <summary>The parent of the path (or new_path) is not a live directory.</summary>
    public const string ParentMissing = "parent_missing";
    /// <summary>A move into its own subtree, or onto itself.</summary>
    public const string InvalidMove = "invalid_move";
    /// <summary>The destination of a move exists (and is not the moved item itself).</summary>
    public const string DestinationExists = "destination_exists";
    /// <summary>A put onto a directory, or a mkdir onto a file.</summary>
    public const string KindMismatch = "kind_mismatch";
    /// <summary>The op's fields do not fit its kind (missing size or chunks, a negative base, a stray new_path...).</summary>
    public const string InvalidOp = "invalid_op";
    /// <summary>A name other platforms cannot hold or that can disguise itself (<see cref="Paths.PortableName"/>); rename it.</summary>
    public const string NameNotPortable = "name_not_portable";
    /// <summary>This device already committed an op with this op_id and different content; send a new op_id.</summary>
    public const string OpIdReused = "op_id_reused";
}
