using System.Text.RegularExpressions;

namespace TinySync.EndToEnd.Tests;

/// <summary>What the user sees while syncing (issue 15): plain progress lines, the summary, retries, the daemon's log.</summary>
public sealed partial class CliProgressTests
{
    [GeneratedRegex(@"^\d\d:\d\d:\d\d syncing \d+/\d+ files, [\d.]+ [KMG]?B/[\d.]+ [KMG]?B \(\d+%\)")]
    private static partial Regex PlainProgress();

    static void WriteRandom(string path, int bytes, int seed)
    {
        var data = new byte[bytes];
        new Random(seed).NextBytes(data);
        File.WriteAllBytes(path, data);
    }

    [Fact]
    public async Task Sync_without_a_terminal_prints_timestamped_progress_lines_and_one_summary_line()
    {
        await using var server = await TestServer.StartAsync();
        using var dir = new TempDir();
        var (home, folder, _) = await CliSetup.LinkedDeviceAsync(server.Url, dir);
        WriteRandom(Path.Combine(folder, "big.bin"), 40 << 20, 1);
        File.WriteAllText(Path.Combine(folder, "a.txt"), "a");
        File.WriteAllText(Path.Combine(folder, "b.txt"), "b");

        var (code, output, err) = await CliProcess.RunAsync(home, "sync");
        code.ShouldBe(0, err);
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Count(l => PlainProgress().IsMatch(l)).ShouldBeGreaterThanOrEqualTo(5, err); // lines as the 10 % marks are crossed (a batch may cross two)
        lines.ShouldAllBe(l => Regex.IsMatch(l, @"^\d\d:\d\d:\d\d "), err); // no terminal control codes, every line stamped
        err.ShouldNotContain("\u001b");
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1].ShouldBe("3 files up (41.9 MB)");

        // the other direction, seen from a second run of the same device after a server-side change is not needed:
        // nothing moved now, and the summary says so
        (code, output, _) = await CliProcess.RunAsync(home, "sync");
        code.ShouldBe(0);
        output.ShouldContain("nothing to transfer");
    }

    [Fact]
    public async Task Killing_the_server_mid_upload_prints_retry_lines_and_exits_within_the_documented_give_up_time()
    {
        await using var server = new ServerProcess();
        await server.StartAsync();
        using var dir = new TempDir();
        var (home, folder, _) = await CliSetup.LinkedDeviceAsync(server.Url, dir);
        WriteRandom(Path.Combine(folder, "big.bin"), 200 << 20, 2);

        using var run = new CliRun(home, "sync");
        (await run.WaitForErrAsync(l => PlainProgress().IsMatch(l) && !l.Contains(" 0 B/", StringComparison.Ordinal), TimeSpan.FromSeconds(90)))
            .ShouldNotBeNull(string.Join("\n", run.Err));
        server.Kill();
        var killedAt = run.Elapsed;
        var code = await run.ExitAsync(TimeSpan.FromSeconds(90));
        var tookAfterKill = run.Elapsed - killedAt;

        code.ShouldBe(3, string.Join("\n", run.Err));
        run.Err.ShouldContain(l => Regex.IsMatch(l, @"server unreachable \(.+\), retry \d+ in [\d.]+s"), string.Join("\n", run.Err));
        run.Err[^1].ShouldContain("unreachable");
        // docs/client.md: about 30 s of retries (RetryPolicy.DefaultGiveUp), then exit 3; some slack for a loaded machine
        tookAfterKill.ShouldBeGreaterThan(TimeSpan.FromSeconds(25));
        tookAfterKill.ShouldBeLessThan(TinySync.Client.Api.RetryPolicy.DefaultGiveUp + TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task The_daemon_logs_what_it_did_names_a_bad_name_once_and_escapes_control_characters()
    {
        await using var server = await TestServer.StartAsync();
        using var dir = new TempDir();
        var (home, folder, _) = await CliSetup.LinkedDeviceAsync(server.Url, dir);
        File.WriteAllText(Path.Combine(folder, "bad\u001b[31mname.txt"), "x");

        using var daemon = new CliRun(home, "daemon", "--rescan-seconds", "1");
        for (var i = 0; i < 3; i++)
        {
            // each file is a new cycle, and each cycle rescans the bad name
            File.WriteAllText(Path.Combine(folder, $"doc{i}.txt"), "text " + i);
            (await daemon.WaitForErrAsync(l => l.Contains($"uploaded doc{i}.txt", StringComparison.Ordinal), TimeSpan.FromSeconds(60)))
                .ShouldNotBeNull(string.Join("\n", daemon.Err));
        }
        var err = daemon.Err;
        err.Count(l => l.Contains("bad\\x1b[31mname.txt", StringComparison.Ordinal)).ShouldBe(1, string.Join("\n", err));
        err.ShouldAllBe(l => !l.Contains('\u001b'));
        err.ShouldNotContain(l => l.Contains("round", StringComparison.Ordinal) || l.Contains(" ms", StringComparison.Ordinal)); // timings only with -v
    }
}
