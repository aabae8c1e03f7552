using System.Net;
using System.Text.Json.Nodes;
using PlatformService.Tests.Support;

namespace PlatformService.Tests;

/// <summary>The management call log: bounded however long TinySync is down, and paged newest first.</summary>
public sealed class CallLogTests
{
    [Fact]
    public async Task Call_log_keeps_only_the_newest_calls_while_pending_retries_run_against_a_dead_server()
    {
        using var dir = new TempDir("tinysync-calllog");
        await using var server = new ServerProcess(dir.Sub("data"), new() { ["TINYSYNC_OPEN_DEVICE_REGISTRATION"] = "false" });
        await server.StartAsync();
        await using var pg = await Playground.StartAsync(server.BaseAddress, TestServer.AdminTokenValue, "--PLATFORM_CALL_LOG_MAX=10");
        await FillDuringOutageAsync(pg, server, events: 1);

        // The background retry alone (every 200 ms here) keeps calling the dead server.
        var start = (await pg.CallsPageAsync("limit=200"))["last_seq"]!.GetValue<long>();
        await Playground.EventuallyAsync(async () => (await pg.CallsPageAsync("limit=1"))["last_seq"]!.GetValue<long>() >= start + 30,
            "the retries made 30 more calls");

        var page = await pg.CallsPageAsync("limit=200");
        page["total"]!.GetValue<long>().ShouldBe(10);
        var seqs = Seqs(page);
        seqs.Count.ShouldBe(10);
        seqs.ShouldBeInOrder(SortDirection.Descending);
        seqs[^1].ShouldBeGreaterThan(start, "the calls from before are gone");
        page["has_older"]!.GetValue<bool>().ShouldBeFalse();
        page["calls"]!.AsArray().ShouldAllBe(c => c!["status"] == null && c["context"]!.GetValue<string>() == "event join-0");
    }

    [Fact]
    public async Task Call_log_pages_stay_put_and_join_up_in_both_directions()
    {
        using var dir = new TempDir("tinysync-calllog-pages");
        await using var server = new ServerProcess(dir.Sub("data"), new() { ["TINYSYNC_OPEN_DEVICE_REGISTRATION"] = "false" });
        await server.StartAsync();
        await using var pg = await Playground.StartAsync(server.BaseAddress, TestServer.AdminTokenValue, "--PLATFORM_CALL_LOG_MAX=40", NoBackgroundRetry);
        var last = await FillDuringOutageAsync(pg, server, events: 20);

        var newest = await pg.CallsPageAsync("limit=15");
        Seqs(newest).ShouldBe(Enumerable.Range(0, 15).Select(i => last - i));
        newest["has_newer"]!.GetValue<bool>().ShouldBeFalse();
        newest["has_older"]!.GetValue<bool>().ShouldBeTrue();
        newest["total"]!.GetValue<long>().ShouldBe(40);

        var older = await pg.CallsPageAsync($"limit=15&before={last - 14}");
        Seqs(older).ShouldBe(Enumerable.Range(15, 15).Select(i => last - i));
        var oldest = await pg.CallsPageAsync($"limit=15&before={last - 29}");
        Seqs(oldest).ShouldBe(Enumerable.Range(30, 10).Select(i => last - i));
        oldest["has_older"]!.GetValue<bool>().ShouldBeFalse();

        var back = await pg.CallsPageAsync($"limit=15&after={last - 30}");
        Seqs(back).ShouldBe(Seqs(older));
        back["has_newer"]!.GetValue<bool>().ShouldBeTrue();

        foreach (var bad in new[] { "limit=0", "limit=201", "before=x", "after=-1", "before=1&after=2" })
        {
            var r = await pg.Http.GetAsync("api/calls?" + bad);
            r.StatusCode.ShouldBe(HttpStatusCode.BadRequest, bad);
            (await r.Content.ReadAsStringAsync()).ShouldContain("invalid_argument");
        }
    }

    /// <summary>A retry interval longer than any test: only the test's own requests make calls, so the log holds still.</summary>
    internal const string NoBackgroundRetry = "--PLATFORM_RETRY_INTERVAL_MS=600000";

    /// <summary>
    /// A user with a device in a workspace, then TinySync killed and <paramref name="events"/> join events fired
    /// (each tried three times: no answer). Returns the number of the last call logged.
    /// </summary>
    internal static async Task<long> FillDuringOutageAsync(Playground pg, ServerProcess server, int events)
    {
        var credential = await pg.CreateUserAsync("ada");
        await pg.CreateWorkspaceAsync("acme");
        await pg.SetUpDriveAsync("ada", credential);
        server.Kill();
        for (var i = 0; i < events; i++)
        {
            var (status, body) = await pg.FireAsync(new { id = $"join-{i}", type = "user.joined_workspace", user_id = "ada", workspace_id = "acme" });
            status.ShouldBe(HttpStatusCode.Accepted, body.ToJsonString());
        }
        return (await pg.CallsPageAsync("limit=1"))["last_seq"]!.GetValue<long>();
    }

    static List<long> Seqs(JsonObject page) => [.. page["calls"]!.AsArray().Select(c => c!["seq"]!.GetValue<long>())];
}
