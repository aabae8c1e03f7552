namespace TinySync.Reliability.Tests.Harness;

/// <summary>
/// How often each fault fires, per call that can see it (an HTTP request, a file-system call, a scenario step).
/// A scenario's profile follows from its seed, so one number replays everything.
/// </summary>
public sealed record FaultProfile(string Name)
{
    public double DropRequest { get; init; }
    public double DropResponse { get; init; }
    public double Duplicate { get; init; }
    public double Delay { get; init; }
    public double ResetMidBody { get; init; }
    public double StaleLogPage { get; init; }
    public double Crash { get; init; }
    public double CrashAfterCommit { get; init; }
    public double DiskFull { get; init; }
    public double PermissionDenied { get; init; }
    public double RestartInFlight { get; init; }
    /// <summary>
    /// Chance that the user edits the folder while its sync runs: during the scan (at a directory listing), before the
    /// uploads (at the missing-chunks query) or between a commit's answer and the index update. Never between a
    /// download's last check and its rename, the window decision 0405 accepts.
    /// </summary>
    public double MidCycleEdit { get; init; }
    /// <summary>Chance that a scenario step restarts the server (between cycles).</summary>
    public double RestartStep { get; init; }

    public static readonly FaultProfile Clean = new("clean");

    public static readonly FaultProfile Network = new("network")
    {
        DropRequest = 0.05, DropResponse = 0.06, Duplicate = 0.06, Delay = 0.05, ResetMidBody = 0.10, StaleLogPage = 0.25,
    };

    public static readonly FaultProfile Crashes = new("crash") { Crash = 0.03, CrashAfterCommit = 0.3, MidCycleEdit = 0.15 };

    public static readonly FaultProfile Disk = new("disk") { DiskFull = 0.10, PermissionDenied = 0.06 };

    public static readonly FaultProfile Restarts = new("restart") { RestartStep = 0.06, RestartInFlight = 0.01, DropResponse = 0.02 };

    public static readonly FaultProfile Mixed = new("mixed")
    {
        DropRequest = 0.02, DropResponse = 0.03, Duplicate = 0.03, Delay = 0.03, ResetMidBody = 0.05, StaleLogPage = 0.12,
        Crash = 0.012, CrashAfterCommit = 0.12, DiskFull = 0.04, PermissionDenied = 0.03, RestartStep = 0.02, RestartInFlight = 0.004,
    };

    /// <summary>Every profile; a seed picks <c>All[seed % All.Count]</c>.</summary>
    public static readonly IReadOnlyList<FaultProfile> All = [Clean, Network, Crashes, Disk, Restarts, Mixed];

    public static FaultProfile For(int seed) => All[(int)((uint)seed % (uint)All.Count)];

    public override string ToString() => Name;
}
