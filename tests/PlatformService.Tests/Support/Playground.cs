using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using PlatformService.Hosting;
using TinySync.Core.Contracts;
using TinySync.Core.Json;

namespace PlatformService.Tests.Support;

/// <summary>
/// The playground in this process on an ephemeral loopback port, with its own SQLite catalog in a temp dir,
/// pointed at a real TinySync server. Helpers speak its HTTP API like an ecosystem would.
/// </summary>
public sealed class Playground : IAsyncDisposable
{
    readonly TempDir _dir = new("platform-playground");
    WebApplication _app = null!;

    public string DataDir => _dir.Sub("data");
    public Uri BaseAddress { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;

    /// <summary>Every secret handed out during the test, for the leak checks.</summary>
    public List<string> IssuedSecrets { get; } = [];

    /// <summary>Starts it; <paramref name="settings"/> are more <c>--KEY=VALUE</c> arguments (e.g. <c>--PLATFORM_CALL_LOG_MAX=30</c>).</summary>
    public static async Task<Playground> StartAsync(Uri tinySync, string adminToken, params string[] settings)
    {
        var p = new Playground();
        p._app = await PlatformServiceApp.BuildAsync([
            "--urls=http://127.0.0.1:0",
            $"--PLATFORM_TINYSYNC_URL={tinySync}",
            $"--PLATFORM_TINYSYNC_ADMIN_TOKEN={adminToken}",
            $"--PLATFORM_DATA_DIR={p.DataDir}",
            "--PLATFORM_RETRY_INTERVAL_MS=200",
            .. settings,
        ]);
        await p._app.StartAsync();
        var address = p._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        p.BaseAddress = new Uri(address + "/");
        p.Http = new HttpClient { BaseAddress = p.BaseAddress };
        return p;
    }

    public async Task<string> CreateUserAsync(string userId)
    {
        var r = await Http.PostAsJsonAsync("admin/users", new { user_id = userId, name = "User " + userId });
        r.StatusCode.ShouldBe(HttpStatusCode.Created, await r.Content.ReadAsStringAsync());
        var credential = (await r.Content.ReadFromJsonAsync<JsonObject>())!["credential"]!.GetValue<string>();
        IssuedSecrets.Add(credential);
        return credential;
    }

    public async Task<JsonObject> CreateWorkspaceAsync(string workspaceId)
    {
        var r = await Http.PostAsJsonAsync("admin/workspaces", new { workspace_id = workspaceId, name = "Workspace " + workspaceId });
        r.StatusCode.ShouldBe(HttpStatusCode.Created, await r.Content.ReadAsStringAsync());
        return (await r.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    public async Task<(HttpStatusCode Status, JsonObject Body)> FireAsync(object ev)
    {
        var r = await Http.PostAsJsonAsync("events", ev);
        var text = await r.Content.ReadAsStringAsync();
        return (r.StatusCode, JsonNode.Parse(text)!.AsObject());
    }

    public async Task<JsonObject> FireOkAsync(object ev)
    {
        var (status, body) = await FireAsync(ev);
        status.ShouldBe(HttpStatusCode.OK, body.ToJsonString());
        body["status"]!.GetValue<string>().ShouldBe("applied", body.ToJsonString());
        return body;
    }

    /// <summary>The "Set up Drive" call of the Drive app; returns the device id and its token.</summary>
    public async Task<(Guid DeviceId, string Token, JsonObject Body)> SetUpDriveAsync(string userId, string credential, string name = "laptop")
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, $"users/{userId}/drive-setup")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { display_name = name }), Encoding.UTF8, "application/json"),
        };
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credential);
        var r = await Http.SendAsync(req);
        var text = await r.Content.ReadAsStringAsync();
        r.StatusCode.ShouldBe(HttpStatusCode.Created, text);
        r.Headers.CacheControl?.NoStore.ShouldBeTrue();
        var body = JsonNode.Parse(text)!.AsObject();
        var token = body["token"]!.GetValue<string>();
        IssuedSecrets.Add(token);
        IssuedSecrets.Add(token[(TinySync.Core.Identity.DeviceToken.Prefix.Length + 37)..]);
        return (Guid.Parse(body["device_id"]!.GetValue<string>()), token, body);
    }

    public async Task<JsonObject> StateAsync() => (await Http.GetFromJsonAsync<JsonObject>("api/state"))!;

    /// <summary>The newest 200 calls of the call log, newest first.</summary>
    public async Task<JsonArray> CallsAsync() => (await CallsPageAsync("limit=200"))["calls"]!.AsArray();

    /// <summary>One page of the call log (<c>GET /api/calls?QUERY</c>).</summary>
    public async Task<JsonObject> CallsPageAsync(string query) => (await Http.GetFromJsonAsync<JsonObject>("api/calls?" + query))!;

    /// <summary>Calls made for one event (the call log's context column).</summary>
    public async Task<List<JsonNode>> CallsForEventAsync(string eventId) =>
        [.. (await CallsAsync()).Where(c => c!["context"]?.GetValue<string>() == $"event {eventId}").Select(c => c!)];

    public async Task<JsonObject> ReconcileAsync()
    {
        var r = await Http.PostAsync("reconcile", null);
        var text = await r.Content.ReadAsStringAsync();
        r.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!.AsObject();
    }

    /// <summary><c>GET /v1/me</c> with a device token, as the device would.</summary>
    public static async Task<(HttpStatusCode Status, MeView? Me)> MeAsync(Uri tinySync, string token)
    {
        using var c = new HttpClient { BaseAddress = tinySync };
        c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var r = await c.GetAsync("v1/me");
        return (r.StatusCode, r.IsSuccessStatusCode ? await r.Content.ReadFromJsonAsync<MeView>(TinySyncJson.Options) : null);
    }

    public static Task EventuallyAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null) =>
        Eventually.TrueAsync(condition, what, timeout, TimeSpan.FromMilliseconds(100));

    public async Task StopAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    public async ValueTask DisposeAsync()
    {
        Http?.Dispose();
        try { await StopAsync(); } catch (ObjectDisposedException) { }
        _dir.Dispose();
    }
}
