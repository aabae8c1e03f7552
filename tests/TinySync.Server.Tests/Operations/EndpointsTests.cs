using System.Text.Json;
using TinySync.Server.Tests.Identity;
using TinySync.Server.Tests.Support;

namespace TinySync.Server.Tests.Operations;

/// <summary>The operator's endpoints: /healthz, /metrics (Prometheus text), /openapi/v1.json.</summary>
public class EndpointsTests(SharedServer fixture) : IClassFixture<SharedServer>
{
    readonly TestServer _server = fixture.Server;

    [Fact]
    public async Task Healthz_answers_healthy_to_get_and_head_without_credentials()
    {
        using var c = _server.Client();
        var r = await c.GetAsync("healthz");
        ((int)r.StatusCode).ShouldBe(200);
        JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString().ShouldBe("healthy");
        using var head = await c.SendAsync(new HttpRequestMessage(HttpMethod.Head, "healthz"));
        ((int)head.StatusCode).ShouldBe(200);
    }

    [Fact]
    public async Task Readyz_reports_the_database_and_the_chunk_store_healthy()
    {
        using var c = _server.Client();
        var r = await c.GetAsync("readyz");
        ((int)r.StatusCode).ShouldBe(200);
        var checks = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("checks");
        checks.GetProperty("database").GetProperty("status").GetString().ShouldBe("healthy");
        checks.GetProperty("chunk_store").GetProperty("status").GetString().ShouldBe("healthy");
    }

    [Fact]
    public async Task The_api_reference_page_is_served_and_points_at_the_document()
    {
        using var c = _server.Client();
        var page = await c.GetStringAsync("docs/");
        page.ShouldContain("openapi/v1.json");
        ((int)(await c.GetAsync("docs/scalar.js")).StatusCode).ShouldBe(200);
    }

    [Fact]
    public async Task Metrics_are_prometheus_text_with_semantic_convention_names_and_count_an_auth_failure()
    {
        using var c = _server.Client();
        (await c.GetAsync("v1/me")).StatusCode.ShouldBe(System.Net.HttpStatusCode.Unauthorized);
        await _server.RegisterAsync();

        var r = await c.GetAsync("metrics");
        ((int)r.StatusCode).ShouldBe(200);
        r.Content.Headers.ContentType!.MediaType.ShouldBe("text/plain");
        var text = await r.Content.ReadAsStringAsync();
        text.ShouldContain("# TYPE ");
        text.ShouldContain("# TYPE tinysync_auth_failures_total counter");
        PrometheusText.Value(text, "tinysync_auth_failures_total", ("kind", "unauthorized")).ShouldNotBeNull().ShouldBeGreaterThanOrEqualTo(1);
        PrometheusText.Value(text, "tinysync_devices_registered_total").ShouldNotBeNull().ShouldBeGreaterThanOrEqualTo(1);
        // ASP.NET Core and runtime instruments under their OpenTelemetry semantic-convention names
        PrometheusText.Value(text, "http_server_request_duration_seconds_count", ("http_route", "/v1/me/"), ("http_response_status_code", "401")).ShouldNotBeNull();
        text.ShouldContain("dotnet_gc_collections_total");
        foreach (var l in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // every line is a comment or "name{labels} value"
            (l.StartsWith('#') || System.Text.RegularExpressions.Regex.IsMatch(l, @"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? [-+0-9.eEInfNa]+( [0-9]+)?$")).ShouldBeTrue(l);
        }
        text.ShouldNotContain(TestServer.AdminTokenValue);
    }

    [Fact]
    public async Task The_openapi_document_is_json_and_describes_the_management_and_device_routes()
    {
        using var c = _server.Client();
        var r = await c.GetAsync("openapi/v1.json");
        ((int)r.StatusCode).ShouldBe(200);
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        doc.RootElement.GetProperty("openapi").GetString()!.ShouldStartWith("3.");
        var paths = doc.RootElement.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToHashSet();
        foreach (var expected in new[]
        {
            "/v1/devices", "/v1/devices/{did}", "/v1/devices/{did}/revoke",
            "/v1/vaults", "/v1/vaults/{vid}", "/v1/vaults/{vid}/containers/{name}",
            "/v1/groups", "/v1/groups/{gid}", "/v1/groups/{gid}/devices/{did}", "/v1/groups/{gid}/vaults/{vid}",
            "/v1/audit", "/v1/me", "/v1/me/revoke", "/v1/vaults/{vid}/history", "/v1/vaults/{vid}/deleted",
        })
        {
            paths.ShouldContain(expected);
        }
        var groupPath = doc.RootElement.GetProperty("paths").GetProperty("/v1/groups/{gid}/devices/{did}");
        groupPath.TryGetProperty("put", out _).ShouldBeTrue();
        groupPath.TryGetProperty("delete", out _).ShouldBeTrue();
    }
}
