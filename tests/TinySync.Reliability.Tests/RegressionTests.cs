using TinySync.Reliability.Tests.Harness;
using Xunit.Abstractions;

namespace TinySync.Reliability.Tests;

/// <summary>
/// Every seed that once broke an invariant, replayed on every run (docs/reliability.md lists symptom, cause and fix).
/// </summary>
public sealed class RegressionTests(ServerFixture fixture, ITestOutputHelper output) : IClassFixture<ServerFixture>
{
    [Theory]
    [InlineData(5)]  // a chunk download reset mid-body threw HttpRequestException out of the sync cycle
    [InlineData(52)] // a folder with a new file inside became a file on the server: parent_missing forever
    [InlineData(126)] // a folder replaced by a file here "moved" with a new file reusing its inode: folder sent to a.txt
    [InlineData(161)] // a folder kept for an edit inside clashed in case with a remote folder: mkdir refused forever
    [InlineData(173)] // a file replaced a folder that got new contents on the server: folder delete never commits
    [InlineData(25)]  // a stale log page (duplicated or reordered) moved the cursor back and replayed old rows
    [InlineData(29)]  // the same under the mixed profile
    [InlineData(100537)] // (soak) a conflict dropped the item from the remote tree; the replayed move then lost c.bin
    [InlineData(200869)] // (soak) a folder move applied at commit from a stale view hid an unseen edit inside; the next put overwrote it
    [InlineData(303619)] // (soak) a folder move applied at commit from a stale view kept a file deleted before it: its put conflicted forever
    [InlineData(300389)] // (soak) a folder deleted from a stale view took another device's new file inside it with it
    public async Task Seed_that_once_failed_now_keeps_every_invariant(int seed)
    {
        var r = await Scenario.RunAsync(seed, fixture.Host, options: ScenarioOptions.Default);
        output.WriteLine(r.Report());
        Assert.True(r.Ok, r.Report());
    }

    /// <summary>Seeds found with real tools' operations and the no-spurious-conflict invariant (issue 13, decision 0717).</summary>
    [Theory]
    [InlineData(32)] // a crash right after a commit: the device's own committed file was later taken for a concurrent change (0719)
    [InlineData(700193)] // (soak 7) a crash between renaming a download into place and recording it: a later remote edit made a conflict copy (0721)
    public async Task Real_world_seed_that_once_failed_now_keeps_every_invariant(int seed)
    {
        var r = await Scenario.RunAsync(seed, fixture.Host, options: ScenarioOptions.RealWorld);
        output.WriteLine(r.Report());
        Assert.True(r.Ok, r.Report());
    }

    /// <summary>Seeds found with real tools' operations and symbolic links on (decision 0720).</summary>
    [Theory]
    [InlineData(722017)] // (soak 9) a false alarm of the witness: a cycle served a stale log page had reported "converged" from a view behind the server's
    [InlineData(722021)] // (soak 9) killed after a commit, then a pull served a stale page cleared the recovery flag (0719): its own committed file conflicted (0723)
    [InlineData(721031)] // (soak 8) a put from a stale view at a path another device had moved away: the replayed move moved nothing, the target never arrived (0722)
    [InlineData(731228)] // (soak 10) a false alarm of the witness: a file replaced by a link mid-sync was never published, yet its create counted as seen (0728)
    [InlineData(731559)] // (soak 10) the same: a file hidden by a link and moved back met another device's own new case twin: a real conflict (0728)
    [InlineData(732334)] // (soak 10) a link under a folder renamed in case here: the scan took it for a new link and the next round deleted the file (0724)
    [InlineData(782168)] // (soak 15) killed after planning a folder case flip, before committing it: the next sync lost the move, its folder delete never committed (0730; found with a selective device, fails the same without)
    [InlineData(790898)] // (the wfix soak) killed mid-download: discarding the group stopped at the first temp file whose delete the dead process refused, the others stayed open and locked (0731)
    public async Task Seed_with_links_that_once_failed_now_keeps_every_invariant(int seed)
    {
        var r = await Scenario.RunAsync(seed, fixture.Host, options: ScenarioOptions.RealWorldWithLinks);
        output.WriteLine(r.Report());
        Assert.True(r.Ok, r.Report());
    }

    [Theory]
    [InlineData(9006)] // a same-size rewrite within the 1 s tick of the scan that recorded the file: never uploaded
    [InlineData(9019)] // the same, and then another device's version was downloaded over the unseen edit: lost
    [InlineData(9027)] // the same, several files at once
    public async Task Coarse_clock_seed_that_once_failed_now_keeps_every_invariant(int seed)
    {
        var r = await Scenario.RunAsync(seed, fixture.Host, options: ScenarioOptions.CoarseClock);
        output.WriteLine(r.Report());
        Assert.True(r.Ok, r.Report());
    }

    [Theory]
    [InlineData(810267)] // (soak 17) a file the user put where the selection holds a folder met the server's folder: its conflict copy is the user's own, a false alarm of the selection watch
    [InlineData(810343)] // (soak 17) a case flip of a folder holding unselected items was made again and the new spelling became an empty conflict copy (0732)
    public async Task Selective_seed_that_once_failed_now_keeps_every_invariant(int seed)
    {
        var r = await Scenario.RunAsync(seed, fixture.Host, options: ScenarioOptions.RealWorldWithLinks with { Selections = true });
        output.WriteLine(r.Report());
        Assert.True(r.Ok, r.Report());
    }
}
