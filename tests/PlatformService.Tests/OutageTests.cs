using System.Net;
using System.Text.Json.Nodes;
using PlatformService.Tests.Support;

namespace PlatformService.Tests;

/// <summary>TinySync as a real process that is killed and restarted on the same port and data directory.</summary>
public sealed class OutageTests
{
    [Fact]
    public async Task Event_arriving_while_TinySync_is_down_stays_pending_and_is_applied_when_it_returns()
    {
        using var dir = new TempDir("tinysync-outage");
        await using var server = new ServerProcess(dir.Sub("data"), new() { ["TINYSYNC_OPEN_DEVICE_REGISTRATION"] = "false" });
        await server.StartAsync();
        await using var pg = await Playground.StartAsync(server.BaseAddress, TestServer.AdminTokenValue);
        var credential = await pg.CreateUserAsync("ada");
        await pg.CreateWorkspaceAsync("acme");
        var (_, token, _) = await pg.SetUpDriveAsync("ada", credential);
        (await Playground.MeAsync(server.BaseAddress, token)).Me!.Vaults.ShouldBeEmpty("not a member yet");

        server.Kill();
        var (status, body) = await pg.FireAsync(new { id = "join-while-down", type = "user.joined_workspace", user_id = "ada", workspace_id = "acme" });
        status.ShouldBe(HttpStatusCode.Accepted, body.ToJsonString());
        body["status"]!.GetValue<string>().ShouldBe("pending");
        body["error"]!.GetValue<string>().ShouldContain("no answer from the TinySync server");

        var state = await pg.StateAsync();
        state["pending_events"]!.AsArray().Select(e => e!["event_id"]!.GetValue<string>()).ShouldBe(["join-while-down"]);
        state["users"]![0]!["workspaces"]!.AsArray().Select(w => w!.GetValue<string>()).ShouldBe(["acme"], "the catalog changed at once");
        (await pg.CallsForEventAsync("join-while-down")).ShouldAllBe(c => c["status"] == null);

        // A duplicate delivery while pending is still a duplicate.
        var (dupStatus, dup) = await pg.FireAsync(new { id = "join-while-down", type = "user.joined_workspace", user_id = "ada", workspace_id = "acme" });
        dupStatus.ShouldBe(HttpStatusCode.OK);
        dup["duplicate"]!.GetValue<bool>().ShouldBeTrue();

        // Drive setup needs TinySync: a clear 503, nothing half-done.
        using (var req = new HttpRequestMessage(HttpMethod.Post, "users/ada/drive-setup"))
        {
            req.Headers.Authorization = new("Bearer", credential);
            var r = await pg.Http.SendAsync(req);
            r.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
            (await r.Content.ReadAsStringAsync()).ShouldContain("tinysync_unavailable");
        }

        await server.StartAsync();
        await Playground.EventuallyAsync(async () => (await pg.StateAsync())["pending_events"]!.AsArray().Count == 0, "the pending event is applied");

        var me = (await Playground.MeAsync(server.BaseAddress, token)).Me!;
        me.Vaults.Count.ShouldBe(1);
        var ev = (await pg.StateAsync())["events"]!.AsArray().Single(e => e!["event_id"]!.GetValue<string>() == "join-while-down")!;
        ev["status"]!.GetValue<string>().ShouldBe("applied");
        ev["attempts"]!.GetValue<long>().ShouldBeGreaterThan(1);
        (await pg.StateAsync())["activity"]!.AsArray().ShouldContain(a => a!["message"]!.GetValue<string>().StartsWith("pending event join-while-down", StringComparison.Ordinal));
    }
}
