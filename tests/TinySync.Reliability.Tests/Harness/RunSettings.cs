namespace TinySync.Reliability.Tests.Harness;

/// <summary>
/// What a run covers, from the environment: <c>TINYSYNC_SEED</c> replays one scenario; <c>TINYSYNC_SOAK_MINUTES</c>
/// runs scenarios from <c>TINYSYNC_SEED_START</c> until the time is up; <c>TINYSYNC_SCENARIOS</c> sets how many the
/// bounded run covers (seeds 1..N, every profile in turn); <c>TINYSYNC_PROFILE</c> keeps only the seeds of one profile;
/// <c>TINYSYNC_REPORT</c> names a file for the summary.
/// </summary>
public sealed record RunSettings(int? Seed, int Scenarios, int SeedStart, TimeSpan? Soak, string? ReportFile, string? Profile = null)
{
    /// <summary>True when the seed belongs to the chosen profile (or no profile was chosen).</summary>
    public bool Includes(int seed) => Profile is null || string.Equals(FaultProfile.For(seed).Name, Profile, StringComparison.Ordinal);

    /// <summary>The CI set: a bounded run of about two minutes on a shared 2-core machine.</summary>
    public const int DefaultScenarios = 96;

    public static RunSettings FromEnvironment()
    {
        static string? Env(string n) => Environment.GetEnvironmentVariable(n) is { Length: > 0 } v ? v : null;
        return new RunSettings(
            Env("TINYSYNC_SEED") is { } s ? int.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : null,
            Env("TINYSYNC_SCENARIOS") is { } n ? int.Parse(n, System.Globalization.CultureInfo.InvariantCulture) : DefaultScenarios,
            Env("TINYSYNC_SEED_START") is { } st ? int.Parse(st, System.Globalization.CultureInfo.InvariantCulture) : 1,
            Env("TINYSYNC_SOAK_MINUTES") is { } m ? TimeSpan.FromMinutes(double.Parse(m, System.Globalization.CultureInfo.InvariantCulture)) : null,
            Env("TINYSYNC_REPORT"),
            Env("TINYSYNC_PROFILE"));
    }
}
