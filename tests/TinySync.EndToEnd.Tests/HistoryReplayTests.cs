using System.Diagnostics;
using Xunit.Abstractions;

namespace TinySync.EndToEnd.Tests;

/// <summary>
/// This repository's own history, commit by commit, checked out into device A's folder and synced through the real
/// <c>tinysync</c> CLI and a real <c>tinysync-server</c> process; after each commit device B's folder must equal the
/// commit's tree byte for byte (and executable bit), with no conflict copy anywhere. CI replays the newest 20 commits (about 45 s here);
/// <c>TINYSYNC_REPLAY_COMMITS=all</c> (or a number) replays more. A shallow clone replays the commits it holds.
/// </summary>
public sealed class HistoryReplayTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Replaying_this_repositorys_commits_leaves_the_other_device_equal_to_each_commit_without_conflict_copies()
    {
        var history = GitHistory.Find();
        var setting = Environment.GetEnvironmentVariable("TINYSYNC_REPLAY_COMMITS");
        int? count = setting is null ? 20 : setting == "all" ? null : int.Parse(setting, System.Globalization.CultureInfo.InvariantCulture);
        var commits = history.Commits(count);
        commits.ShouldNotBeEmpty();
        output.WriteLine($"replaying {commits.Count} commit(s) of {history.Root}{(history.Shallow ? " (a shallow clone: only the commits it holds)" : "")}");

        await using var server = new ServerProcess();
        await server.StartAsync();
        using var dir = new TempDir();
        var devices = await server.CliDevicesAsync(dir, "replayA", "replayB");
        var homes = devices.Select(d => d.Home).ToList();
        var folders = devices.Select(d => d.Folder).ToList();

        var clock = Stopwatch.StartNew();
        for (var i = 0; i < commits.Count; i++)
        {
            var tree = dir.Sub("tree-" + i);
            history.Extract(commits[i], tree);
            var changed = Checkout.Apply(tree, folders[0]);
            foreach (var (home, name) in homes.Zip(["A", "B"]))
            {
                var (code, _, err) = await CliProcess.RunAsync(home, "sync");
                code.ShouldBe(0, $"{name}'s sync after commit {i + 1}/{commits.Count} ({history.Subject(commits[i])}): {err}");
            }
            var expected = Checkout.Snapshot(tree);
            var b = Checkout.Snapshot(folders[1]);
            var context = $"after commit {i + 1}/{commits.Count} ({history.Subject(commits[i])})";
            b.Except(expected).Select(e => e.Key).ShouldBeEmpty($"B has paths or contents that the commit does not, {context}");
            expected.Except(b).Select(e => e.Key).ShouldBeEmpty($"B lacks paths or contents of the commit, {context}");
            Checkout.ConflictCopies(folders[0]).Concat(Checkout.ConflictCopies(folders[1])).ShouldBeEmpty(context);
            Directory.Delete(tree, recursive: true);
            output.WriteLine($"{clock.Elapsed.TotalSeconds,6:0.0} s  {history.Subject(commits[i])}: {changed} path(s) changed");
        }
    }
}
