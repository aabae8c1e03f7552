using System.Text.RegularExpressions;
using TinySync.Core.Contracts;

namespace TinySync.EndToEnd.Tests;

/// <summary>Issue 13, reproduction 7: a server whose log keeps contradicting its tree (decision 0716).</summary>
public sealed partial class ContradictingServerTests
{
    [GeneratedRegex(@"^\d\d:\d\d:\d\d checking the server and the folder \(\d+s\)$")]
    private static partial Regex TimedProgress();

    [Fact]
    public async Task A_server_whose_log_always_deletes_a_path_its_tree_never_held_ends_the_sync_with_one_line_and_exit_3()
    {
        using var dir = new TempDir();
        var device = Guid.NewGuid();
        var other = Guid.NewGuid();
        // the tree is always empty at seq 5; the log always answers with another device's delete of a path it never had
        await using var server = new HostileServer
        {
            OtherRoutes = 500,
            Tree = _ => new TreePage(5, [], null),
            Log = after => new LogPage(
                [new LogEntry { Seq = after + 1, OpId = Guid.NewGuid(), DeviceId = other, Kind = OpKind.Delete, Container = "default", Path = "ghost.txt", CommittedAt = DateTimeOffset.UtcNow }],
                after + 1, false),
        };
        await server.StartAsync();
        var folder = dir.Sub("folder");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "mine.txt"), "kept");

        var (code, _, err) = await CliProcess.RunAsync(server.Home(dir, folder, device), "sync");

        code.ShouldBe(3, err);
        // the warning of the first contradiction, then the one error line; the plain progress lines a slow machine gets
        // every 2 s ("12:00:03 checking the server and the folder (3s)") are not part of what this test is about
        var lines = err.Trim().Split('\n').Where(l => !TimedProgress().IsMatch(l)).ToArray();
        lines.Count(l => l.StartsWith("tinysync: ", StringComparison.Ordinal)).ShouldBe(1, err);
        lines[^1].ShouldStartWith("tinysync: ");
        lines[^1].ShouldContain("contradicts itself");
        lines.Length.ShouldBeLessThanOrEqualTo(2, err);
        // one first tree read and one re-read in the round, then it stops: no loop of thousands of requests
        server.Requests.Count(r => r.EndsWith("/tree", StringComparison.Ordinal)).ShouldBe(2, string.Join(", ", server.Requests));
        server.Requests.Count.ShouldBeLessThanOrEqualTo(6, string.Join(", ", server.Requests));
        File.ReadAllText(Path.Combine(folder, "mine.txt")).ShouldBe("kept");
    }
}
