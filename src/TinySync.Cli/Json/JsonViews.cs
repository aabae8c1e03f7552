using System.CommandLine;
using System.Text.Json;
using TinySync.Core.Json;

namespace TinySync.Cli.Json;

// The documented `--json` shapes (docs/client.md, "Output for scripts"). snake_case like the wire; every field is
// always present (null when unknown); new fields may be added, none renamed or removed (decision 0430).

/// <summary>This device as saved in identity.json (token redacted).</summary>
internal sealed record DeviceJson(Guid DeviceId, string Name, string Server, string Token);

/// <summary><c>whoami --json</c>.</summary>
internal sealed record WhoAmIJson(Guid DeviceId, string Name, string Server, string Token, IReadOnlyList<string> Groups, IReadOnlyList<VaultRefJson> Vaults);

/// <summary>A vault by id and name.</summary>
internal sealed record VaultRefJson(Guid VaultId, string Name);

/// <summary><c>vaults --json</c>.</summary>
internal sealed record VaultsJson(IReadOnlyList<VaultJson> Vaults);

/// <summary>One reachable vault and the folders linked to it.</summary>
internal sealed record VaultJson(Guid VaultId, string Name, long Head, IReadOnlyList<string> Containers, IReadOnlyList<LinkRefJson> Links);

/// <summary>A linked folder.</summary>
internal sealed record LinkRefJson(string Directory, string Container);

/// <summary><c>status --json</c>.</summary>
internal sealed record StatusJson(string StateDir, DeviceJson? Device, DaemonJson Daemon, IReadOnlyList<LinkStatusJson> Links);

/// <summary>Whether a daemon answers on the state directory's control socket, and its process id.</summary>
internal sealed record DaemonJson(bool Running, int? Pid);

/// <summary>
/// One link in <c>status --json</c>; <c>last_sync</c> (ISO-8601 UTC or null) is the last converged sync,
/// <c>last_cycle</c> the last completed one; <c>state</c> is the running daemon's view (syncing, idle, paused,
/// retrying) or null; <c>in_flight</c> what its current round moves, or null.
/// </summary>
internal sealed record LinkStatusJson(Guid LinkId, string Directory, Guid VaultId, string? VaultName, string Container, long Cursor, int Items, int RemoteItems,
    DateTimeOffset? LastSync, bool Paused, string? State, LastCycleJson? LastCycle, LastChangeJson? LastChange, TinySync.Client.Status.InFlight? InFlight,
    IReadOnlyList<string> Pending, SelectionStatusJson Selection);

/// <summary>Which part of the vault a link holds (decision 0453): mode "all", "only" or "exclude" and its paths.</summary>
internal sealed record SelectionStatusJson(string Mode, IReadOnlyList<string> Paths);

/// <summary>The last completed sync cycle of a link: when, whether it converged, what it moved.</summary>
internal sealed record LastCycleJson(DateTimeOffset CompletedAt, bool Converged, string Summary, int FilesUp, long BytesUp, int FilesDown, long BytesDown, int Deleted, int Moved, int Conflicts);

/// <summary>The latest cycle that moved something: when and what.</summary>
internal sealed record LastChangeJson(DateTimeOffset At, string Summary, int FilesUp, long BytesUp, int FilesDown, long BytesDown, int Deleted, int Moved, int Conflicts);

/// <summary><c>conflicts --json</c>: absolute paths of conflict copies.</summary>
internal sealed record ConflictsJson(IReadOnlyList<string> Conflicts);

/// <summary><c>history PATH --json</c>, newest first.</summary>
internal sealed record HistoryJson(string Path, Guid VaultId, string Container, IReadOnlyList<VersionJson> Versions);

/// <summary>
/// One retained version; <c>kind</c> is put, mkdir, delete or move; <c>size</c> null when the server knows none;
/// <c>device_name</c> null when the server no longer knows the device; <c>moved_from</c> the path before a move, else null.
/// </summary>
internal sealed record VersionJson(long Seq, DateTimeOffset CommittedAt, string Kind, long? Size, Guid DeviceId, string? DeviceName, string Path, string? MovedFrom);

/// <summary>Writes the JSON answers.</summary>
internal static class CliJson
{
    /// <summary><c>--json</c>: print the documented JSON shape instead of text.</summary>
    public static Option<bool> Option() => new("--json") { Description = "Print JSON (the shape documented in docs/client.md) instead of text" };

    static readonly JsonSerializerOptions Pretty = new(TinySyncJson.Options) { WriteIndented = true };

    /// <summary>Prints one JSON document on stdout (control characters are escaped by the serializer).</summary>
    public static void Write<T>(T value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, Pretty));
}
