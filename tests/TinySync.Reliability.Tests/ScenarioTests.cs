using System.Diagnostics;
using System.Text;
using TinySync.Reliability.Tests.Harness;
using Xunit.Abstractions;

namespace TinySync.Reliability.Tests;

/// <summary>The randomized scenarios: the bounded CI set, one replayed seed, or a time-bounded soak (see docs/reliability.md).</summary>
public sealed class ScenarioTests(ServerFixture fixture, ITestOutputHelper output) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Seeded_scenarios_keep_every_invariant()
    {
        var settings = RunSettings.FromEnvironment();
        var results = new List<ScenarioResult>();
        var sw = Stopwatch.StartNew();
        if (settings.Seed is { } one)
        {
            results.Add(await Scenario.RunAsync(one, fixture.Host));
            output.WriteLine(results[0].Report());
        }
        else if (settings.Soak is { } soak)
        {
            for (var seed = settings.SeedStart; sw.Elapsed < soak; seed++)
            {
                if (!settings.Includes(seed)) continue;
                var r = await Scenario.RunAsync(seed, fixture.Host);
                results.Add(r);
                if (!r.Ok) output.WriteLine(r.Report());
                if (settings.ReportFile is { } f && results.Count % 25 == 0) File.WriteAllText(f, Summary(results, sw.Elapsed));
            }
        }
        else
        {
            for (var seed = settings.SeedStart; results.Count < settings.Scenarios; seed++)
            {
                if (!settings.Includes(seed)) continue;
                var r = await Scenario.RunAsync(seed, fixture.Host);
                results.Add(r);
                if (!r.Ok) output.WriteLine(r.Report());
            }
        }
        var summary = Summary(results, sw.Elapsed);
        output.WriteLine(summary);
        if (settings.ReportFile is { } file) File.WriteAllText(file, summary + string.Concat(results.Where(r => !r.Ok).Select(r => "\n" + r.Report())));
        var failed = results.Where(r => !r.Ok).ToList();
        Assert.True(failed.Count == 0, summary + "\n" + string.Join("\n", failed.Take(3).Select(r => r.Report())));
    }

    /// <summary>
    /// The coarse-clock world (1 s modification times, same-size in-place rewrites) on a fixed set of seeds: a file
    /// rewritten within the timestamp tick of the scan that recorded it must still be seen as changed.
    /// </summary>
    [Fact]
    public async Task Seeded_scenarios_on_a_coarse_clock_file_system_keep_every_invariant()
    {
        var results = new List<ScenarioResult>();
        var sw = Stopwatch.StartNew();
        for (var seed = CoarseClockFirstSeed; seed < CoarseClockFirstSeed + CoarseClockScenarios; seed++)
        {
            var r = await Scenario.RunAsync(seed, fixture.Host, options: ScenarioOptions.CoarseClock);
            results.Add(r);
            if (!r.Ok) output.WriteLine(r.Report());
        }
        var summary = Summary(results, sw.Elapsed);
        output.WriteLine(summary);
        var failed = results.Where(r => !r.Ok).ToList();
        Assert.True(failed.Count == 0, summary + "\n" + string.Join("\n", failed.Take(3).Select(r => r.Report())));
    }

    const int CoarseClockFirstSeed = 9000;
    const int CoarseClockScenarios = 24;

    /// <summary>Scenarios run, by profile, faults injected by kind, failing seeds.</summary>
    public static string Summary(IReadOnlyList<ScenarioResult> results, TimeSpan elapsed)
    {
        var faults = new FaultCounts();
        foreach (var r in results) faults.AddAll(r.Faults);
        var sb = new StringBuilder();
        sb.AppendLine($"{results.Count} scenario(s) in {elapsed.TotalMinutes:0.0} min, {results.Count(r => r.Ok)} clean, {results.Sum(r => r.Cycles)} sync cycles; load average {LoadAverage()}");
        sb.AppendLine("by profile: " + string.Join(", ", results.GroupBy(r => r.Profile.Name).Select(g => $"{g.Key}={g.Count()}")));
        sb.AppendLine($"faults injected ({faults.Total}): {faults}");
        sb.AppendLine($"with a selective device: {results.Count(r => r.Selection is not null)}");
        var failed = results.Where(r => !r.Ok).Select(r => r.Seed).ToList();
        sb.AppendLine("failing seeds: " + (failed.Count == 0 ? "none" : string.Join(", ", failed)));
        return sb.ToString();
    }

    static string LoadAverage()
    {
        try { return File.ReadAllText("/proc/loadavg").Trim(); }
        catch (IOException) { return "n/a"; }
    }
}
