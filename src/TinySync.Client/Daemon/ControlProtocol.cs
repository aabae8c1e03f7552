using TinySync.Client.Status;

namespace TinySync.Client.Daemon;

// The daemon's control socket (decision 0450): one JSON request line per connection, one JSON response line, then
// the daemon closes the connection. snake_case like the wire.

/// <summary>A request to the daemon: <c>status</c>, or <c>wake</c> (a link's pause marker changed; re-read it now).</summary>
public sealed record ControlRequest(string Op, Guid? LinkId = null);

/// <summary>The daemon's answer: its process id and, for <c>status</c>, each link's live state.</summary>
public sealed record ControlResponse(int Pid, IReadOnlyList<DaemonLinkState> Links, string? Error = null);

/// <summary>
/// One link as the running daemon sees it: <c>state</c> is <c>syncing</c>, <c>idle</c>, <c>paused</c> or
/// <c>retrying</c> (the last cycle failed, it tries again); <c>in_flight</c> is what the current round moves.
/// </summary>
public sealed record DaemonLinkState(Guid LinkId, string State, InFlight? InFlight);
