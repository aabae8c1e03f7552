using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TinySync.Server.Tests.Support;

namespace TinySync.Server.Tests.ScaleOut;

/// <summary>
/// Liveness and readiness as orchestrators use them: a node whose PostgreSQL is down stays alive and says not ready,
/// and becomes ready by itself when the database returns. On a cluster of this test's own (it is stopped and started).
/// </summary>
public sealed class ReadinessTests
{
    static readonly TimeSpan Patience = TimeSpan.FromSeconds(45);

    [Fact]
    public async Task Readyz_is_503_while_PostgreSQL_is_stopped_and_200_after_it_returns_at_start_and_while_running()
    {
        await using var pg = await PrivatePostgres.StartAsync();
        await pg.PgCtlAsync("-m fast stop");
        using var dir = new TempDir("tinysync-node");
        await using var node = new ServerProcess(dir.Sub("data"), new Dictionary<string, string>
        {
            ["TINYSYNC_DATABASE"] = pg.ConnectionString,
            ["TINYSYNC_DATABASE_WAIT_SECONDS"] = "0",
        });
        await node.StartAsync(); // waits for /healthz: liveness answers without the database
        using var http = node.Client();

        var (status, checks) = await ReadyzAsync(http);
        status.ShouldBe(HttpStatusCode.ServiceUnavailable);
        checks.GetProperty("database").GetProperty("description").GetString()!.ShouldStartWith("TINYSYNC_DATABASE: cannot reach PostgreSQL");
        using (var api = await http.PostAsJsonAsync("v1/devices", new { display_name = "early" }))
        {
            api.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable, "the API refuses until the schema is applied");
            api.Headers.RetryAfter.ShouldNotBeNull();
        }
        (await http.GetAsync("healthz")).StatusCode.ShouldBe(HttpStatusCode.OK);

        await pg.PgCtlAsync("start");
        await WaitForReadyzAsync(http, HttpStatusCode.OK);
        (await http.PostAsJsonAsync("v1/devices", new { display_name = "after" })).StatusCode.ShouldBe(HttpStatusCode.Created);

        await pg.PgCtlAsync("-m fast stop");
        await WaitForReadyzAsync(http, HttpStatusCode.ServiceUnavailable);
        (await http.GetAsync("healthz")).StatusCode.ShouldBe(HttpStatusCode.OK, "a database outage must not fail liveness");

        await pg.PgCtlAsync("start");
        await WaitForReadyzAsync(http, HttpStatusCode.OK);
        (_, checks) = await ReadyzAsync(http);
        checks.GetProperty("listener").GetProperty("status").GetString().ShouldBe("healthy");
    }

    [Fact]
    public async Task An_unreachable_database_at_start_leaves_the_node_alive_and_not_ready_naming_the_setting_without_the_password()
    {
        using var dir = new TempDir("tinysync-node");
        await using var node = new ServerProcess(dir.Sub("data"), new Dictionary<string, string>
        {
            ["TINYSYNC_DATABASE"] = "Host=127.0.0.1;Port=9;Username=tinysync;Password=hunter2-secret;Database=tinysync",
            ["TINYSYNC_DATABASE_WAIT_SECONDS"] = "1",
        });
        await node.StartAsync();
        using var http = node.Client();
        var (status, checks) = await ReadyzAsync(http);
        status.ShouldBe(HttpStatusCode.ServiceUnavailable);
        var why = checks.GetProperty("database").GetProperty("description").GetString()!;
        why.ShouldStartWith("TINYSYNC_DATABASE: cannot reach PostgreSQL at tinysync@127.0.0.1:9/tinysync");
        why.ShouldContain("check Host and Port");
        node.Output.ShouldContain("TINYSYNC_DATABASE: cannot reach PostgreSQL");
        node.Output.ShouldNotContain("hunter2");
        (await http.GetStringAsync("readyz")).ShouldNotContain("hunter2");
    }

    static async Task<(HttpStatusCode Status, JsonElement Checks)> ReadyzAsync(HttpClient http)
    {
        using var r = await http.GetAsync("readyz");
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        return (r.StatusCode, doc.RootElement.GetProperty("checks").Clone());
    }

    static async Task WaitForReadyzAsync(HttpClient http, HttpStatusCode expected)
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (true)
        {
            var (status, checks) = await ReadyzAsync(http);
            if (status == expected) return;
            if (timeout.IsCancellationRequested) status.ShouldBe(expected, checks.ToString());
            await Task.Delay(100);
        }
    }
}
