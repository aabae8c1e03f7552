using System.Diagnostics;
using System.Text.Json;

namespace TinySync.EndToEnd.Tests;

/// <summary>
/// Issue 15: the daemon answers on its control socket (`status` shows it, its last sync, what is pending), and
/// pause/resume per link, with a real server process and real `tinysync` processes.
/// </summary>
public sealed class DaemonStatusTests
{
    static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    static async Task<JsonElement> StatusAsync(string home)
    {
        var (code, output, err) = await CliProcess.RunAsync(home, "status", "--json");
        code.ShouldBe(0, err);
        return JsonDocument.Parse(output).RootElement.Clone();
    }

    static JsonElement LinkOf(JsonElement status, string folder) =>
        status.GetProperty("links").EnumerateArray().Single(l => l.GetProperty("directory").GetString() == folder);

    static async Task<JsonElement> UntilStatusAsync(string home, Func<JsonElement, bool> condition, string what)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            var status = await StatusAsync(home);
            if (condition(status)) return status;
            if (sw.Elapsed > Deadline) throw new TimeoutException($"timed out waiting for {what}; last status: {status}");
            await Task.Delay(100);
        }
    }

    static Task UntilAsync(Func<Task<bool>> condition, string what) => Eventually.TrueAsync(condition, what, Deadline, TimeSpan.FromMilliseconds(100));

    static bool Running(JsonElement status) => status.GetProperty("daemon").GetProperty("running").GetBoolean();

    [Fact]
    public async Task Status_reports_the_running_daemon_and_its_last_sync_after_a_change_syncs()
    {
        await using var server = new ServerProcess();
        await server.StartAsync();
        using var dir = new TempDir();
        var devices = await server.CliDevicesAsync(dir, "laptop");
        var (home, folder) = devices[0];
        using var daemon = new CliRun(home, "daemon");
        await UntilStatusAsync(home, s => Running(s) && LinkOf(s, folder).GetProperty("last_sync").ValueKind != JsonValueKind.Null, "the daemon's first sync");

        var before = DateTimeOffset.UtcNow;
        File.WriteAllText(Path.Combine(folder, "report.txt"), "quarterly");
        var status = await UntilStatusAsync(home, s => LinkOf(s, folder).GetProperty("last_sync").GetDateTimeOffset() > before, "the last sync after the change");

        status.GetProperty("daemon").GetProperty("pid").GetInt32().ShouldBe(daemon.Pid);
        var link = LinkOf(status, folder);
        link.GetProperty("last_cycle").GetProperty("converged").GetBoolean().ShouldBeTrue();
        // the last cycle may be an idle one after the upload (a wake hint for its own commit): the change is kept apart
        var change = link.GetProperty("last_change");
        change.GetProperty("at").GetDateTimeOffset().ShouldBeGreaterThan(before);
        change.GetProperty("files_up").GetInt32().ShouldBe(1, status.ToString());
        change.GetProperty("summary").GetString().ShouldBe("1 file up (9 B)");
        link.GetProperty("state").GetString().ShouldBeOneOf("idle", "syncing");
        link.GetProperty("paused").GetBoolean().ShouldBeFalse();
        link.GetProperty("pending").GetArrayLength().ShouldBe(0);

        var (code, text, _) = await CliProcess.RunAsync(home, "status");
        code.ShouldBe(0);
        text.ShouldContain($"daemon:  running (pid {daemon.Pid})");
        text.ShouldMatch(@"(in sync|changed: [-\d: Z]+): 1 file up \(9 B\)");
    }

    [Fact]
    public async Task The_daemon_reports_the_files_and_bytes_in_flight_during_an_upload()
    {
        await using var server = new ServerProcess();
        await server.StartAsync();
        using var dir = new TempDir();
        var (home, folder) = (await server.CliDevicesAsync(dir, "laptop"))[0];
        using var daemon = new CliRun(home, "daemon");
        await UntilStatusAsync(home, s => Running(s) && LinkOf(s, folder).GetProperty("last_sync").ValueKind != JsonValueKind.Null, "the daemon's first sync");

        const int size = 40 << 20;
        var data = new byte[size];
        new Random(15).NextBytes(data);
        File.WriteAllBytes(dir.Sub("big.bin"), data);
        File.Move(dir.Sub("big.bin"), Path.Combine(folder, "big.bin")); // whole at once: the daemon never plans a half-written file
        // asked as `status` asks, on the control socket, often enough to see the upload under way
        var state = new TinySync.Client.State.StateDirectory(home);
        TinySync.Client.Status.InFlight? seen = null;
        var sw = Stopwatch.StartNew();
        while (seen is null)
        {
            sw.Elapsed.ShouldBeLessThan(Deadline, "the upload was never seen in flight");
            var answer = await TinySync.Client.Daemon.ControlSocket.AskAsync(state, new TinySync.Client.Daemon.ControlRequest("status"));
            var link = answer.ShouldNotBeNull().Links.Single();
            if (link.InFlight is { BytesUp: > 0 } f && f.BytesUp < f.BytesUpTotal)
            {
                link.State.ShouldBe("syncing");
                seen = f;
            }
            else
            {
                await Task.Delay(20);
            }
        }
        seen.FilesUpTotal.ShouldBe(1);
        seen.FilesUp.ShouldBe(0);
        seen.BytesUpTotal.ShouldBe(size);
        seen.FilesDownTotal.ShouldBe(0);

        var status = await UntilStatusAsync(home, s => LinkOf(s, folder).GetProperty("last_change").ValueKind != JsonValueKind.Null, "the upload's end");
        LinkOf(status, folder).GetProperty("last_change").GetProperty("bytes_up").GetInt64().ShouldBe(size);
    }

    [Fact]
    public async Task Status_without_a_daemon_says_so_and_shows_the_last_sync_and_what_is_pending()
    {
        await using var server = new ServerProcess();
        await server.StartAsync();
        using var dir = new TempDir();
        var (home, folder) = (await server.CliDevicesAsync(dir, "laptop"))[0];
        File.WriteAllText(Path.Combine(folder, "a.txt"), "a");
        File.WriteAllText(Path.Combine(folder, "CON.txt"), "a name Windows cannot hold"); // an unsyncable name: pending, with its reason
        var (code, _, err) = await CliProcess.RunAsync(home, "sync");
        code.ShouldBe(0, err);

        var status = await StatusAsync(home);
        Running(status).ShouldBeFalse();
        status.GetProperty("daemon").GetProperty("pid").ValueKind.ShouldBe(JsonValueKind.Null);
        var link = LinkOf(status, folder);
        link.GetProperty("last_sync").ValueKind.ShouldBe(JsonValueKind.String);
        link.GetProperty("state").ValueKind.ShouldBe(JsonValueKind.Null);
        link.GetProperty("in_flight").ValueKind.ShouldBe(JsonValueKind.Null);
        link.GetProperty("last_cycle").GetProperty("summary").GetString().ShouldBe("1 file up (1 B)");
        link.GetProperty("pending").EnumerateArray().ShouldContain(p => p.GetString()!.Contains("CON.txt: not synced, the name 'CON.txt' is the Windows device name", StringComparison.Ordinal), status.ToString());

        (code, var text, _) = await CliProcess.RunAsync(home, "status");
        code.ShouldBe(0);
        text.ShouldContain("daemon:  not running — `tinysync daemon` syncs continuously");
        text.ShouldContain("in sync: 1 file up (1 B)");
        text.ShouldContain("CON.txt: not synced");
    }

    [Fact]
    public async Task The_control_socket_is_owner_only_a_second_daemon_refuses_and_a_stale_socket_is_replaced()
    {
        await using var server = new ServerProcess();
        await server.StartAsync();
        using var dir = new TempDir();
        var (home, _) = (await server.CliDevicesAsync(dir, "laptop"))[0];
        var socket = Path.Combine(home, "daemon.sock");
        var first = new CliRun(home, "daemon");
        try
        {
            await UntilStatusAsync(home, Running, "the daemon answering");
            File.GetUnixFileMode(socket).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.GetUnixFileMode(home).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

            var (code, _, err) = await CliProcess.RunAsync(home, "daemon");
            code.ShouldBe(1, err);
            err.ShouldContain($"a daemon already runs for {home} (pid {first.Pid})");

            first.Kill(); // a crash leaves the socket file behind
            File.Exists(socket).ShouldBeTrue();
            (await StatusAsync(home)).GetProperty("daemon").GetProperty("running").GetBoolean().ShouldBeFalse();
        }
        finally
        {
            first.Dispose();
        }
        using var second = new CliRun(home, "daemon");
        var status = await UntilStatusAsync(home, Running, "the new daemon answering on the replaced socket");
        status.GetProperty("daemon").GetProperty("pid").GetInt32().ShouldBe(second.Pid);
    }

    [Fact]
    public async Task A_paused_link_of_a_running_daemon_keeps_its_change_until_resumed_while_another_link_syncs()
    {
        await using var server = new ServerProcess();
        await server.StartAsync();
        using var dir = new TempDir();
        var devices = await server.CliDevicesAsync(dir, "laptop", "desktop");
        var (homeA, docsA) = devices[0];
        var (homeB, docsB) = devices[1];
        // a second vault, linked on both devices: the barrier that proves the daemon had its chance
        var (photos, _) = await server.SetUpAsync();
        string photosA = dir.Sub("photos-laptop"), photosB = dir.Sub("photos-desktop");
        new TinySync.Client.State.StateDirectory(homeA).AddLink(photos, null, "default", photosA);
        new TinySync.Client.State.StateDirectory(homeB).AddLink(photos, null, "default", photosB);
        Directory.CreateDirectory(photosA);
        Directory.CreateDirectory(photosB);

        using var daemon = new CliRun(homeA, "daemon");
        await UntilStatusAsync(homeA, s => Running(s) && LinkOf(s, docsA).GetProperty("last_sync").ValueKind != JsonValueKind.Null
            && LinkOf(s, photosA).GetProperty("last_sync").ValueKind != JsonValueKind.Null, "the daemon's first sync of both links");

        var (code, output, err) = await CliProcess.RunAsync(homeA, "pause", docsA);
        code.ShouldBe(0, err);
        output.ShouldContain($"paused {docsA}; the daemon (pid {daemon.Pid}) finishes its current round");
        await UntilStatusAsync(homeA, s => LinkOf(s, docsA).GetProperty("state").GetString() == "paused", "the daemon to pause the link");

        File.WriteAllText(Path.Combine(docsA, "while-paused.txt"), "held back");
        File.WriteAllText(Path.Combine(photosA, "barrier.jpg"), "synced meanwhile");
        await UntilAsync(async () =>
        {
            await CliProcess.RunAsync(homeB, "sync");
            return File.Exists(Path.Combine(photosB, "barrier.jpg"));
        }, "the unpaused link's change on the other device");
        File.Exists(Path.Combine(docsB, "while-paused.txt")).ShouldBeFalse("a change in a paused link must not reach the other device");
        var status = await StatusAsync(homeA);
        LinkOf(status, docsA).GetProperty("paused").GetBoolean().ShouldBeTrue();
        (await CliProcess.RunAsync(homeA, "status")).Out.ShouldContain($"paused — `tinysync resume {docsA}` to continue");

        (code, output, err) = await CliProcess.RunAsync(homeA, "resume", docsA);
        code.ShouldBe(0, err);
        output.ShouldContain($"resumed {docsA}; the daemon (pid {daemon.Pid}) syncs it now");
        await UntilAsync(async () =>
        {
            await CliProcess.RunAsync(homeB, "sync");
            return File.Exists(Path.Combine(docsB, "while-paused.txt"));
        }, "the change made while paused on the other device after the resume");
        File.ReadAllText(Path.Combine(docsB, "while-paused.txt")).ShouldBe("held back");
        daemon.Err.ShouldContain(l => l.EndsWith($" {docsA}: paused; `tinysync resume {docsA}` to continue", StringComparison.Ordinal), string.Join("\n", daemon.Err));
        daemon.Err.ShouldContain(l => l.EndsWith($" {docsA}: resumed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Sync_skips_a_paused_link_with_the_command_to_resume_it_and_the_pause_survives_across_processes()
    {
        await using var server = new ServerProcess();
        await server.StartAsync();
        using var dir = new TempDir();
        var (home, folder) = (await server.CliDevicesAsync(dir, "laptop"))[0];
        File.WriteAllText(Path.Combine(folder, "draft.txt"), "not yet");

        var (code, output, err) = await CliProcess.RunAsync(home, "pause", folder);
        code.ShouldBe(0, err);
        output.ShouldContain($"paused {folder}; `tinysync sync` and `tinysync daemon` skip it");
        (code, output, err) = await CliProcess.RunAsync(home, "sync");
        code.ShouldBe(0, err);
        output.ShouldContain($"{folder}: paused; `tinysync resume {folder}` to continue");
        output.ShouldContain("nothing to transfer");
        var link = LinkOf(await StatusAsync(home), folder);
        link.GetProperty("paused").GetBoolean().ShouldBeTrue();
        link.GetProperty("last_sync").ValueKind.ShouldBe(JsonValueKind.Null);

        (code, output, _) = await CliProcess.RunAsync(home, "resume", folder);
        code.ShouldBe(0);
        output.ShouldContain($"resumed {folder}; run `tinysync sync` or `tinysync daemon`");
        (code, output, err) = await CliProcess.RunAsync(home, "sync");
        code.ShouldBe(0, err);
        output.ShouldContain("1 file up (7 B)");
        output.ShouldNotContain("paused");
    }
}
