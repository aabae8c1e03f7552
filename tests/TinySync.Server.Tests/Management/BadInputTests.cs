using System.Net.Http.Headers;
using System.Text;
using TinySync.Server.Tests.Identity;
using TinySync.Server.Tests.Support;

namespace TinySync.Server.Tests.Management;

/// <summary>
/// Every bad input of issue 2 on the management API: a problem+json with a stable code, no stack trace, no
/// secret, and nothing changed (the audit head and every table stay as they were).
/// </summary>
public sealed class BadInputTests_Sqlite(SharedServer fixture) : BadInputTests(fixture), IClassFixture<SharedServer>;

public sealed class BadInputTests_Postgres(PostgresSharedServer fixture) : BadInputTests(fixture), IClassFixture<PostgresSharedServer>;

public abstract class BadInputTests(SharedServer fixture)
{
    readonly TestServer _server = fixture.Server;

    sealed record Snapshot(long AuditHead, long Devices, long Vaults, long Containers, long Groups, long DeviceEdges, long VaultEdges);

    async Task<Snapshot> SnapshotAsync() => new(
        await _server.AuditHeadAsync(),
        Db.Count(_server, "devices"), Db.Count(_server, "vaults"), Db.Count(_server, "containers"),
        Db.Count(_server, "groups"), Db.Count(_server, "group_devices"), Db.Count(_server, "group_vaults"));

    async Task ShouldChangeNothingAsync(Func<HttpClient, Task<HttpResponseMessage>> send, int status, string code, string because)
    {
        var before = await SnapshotAsync();
        using var admin = _server.Admin();
        var r = await send(admin);
        var body = await r.Content.ReadAsStringAsync();
        ((int)r.StatusCode).ShouldBe(status, $"{because}: {body}");
        await r.ShouldBeProblemAsync(status, code);
        body.ShouldNotContain(TestServer.AdminTokenValue);
        body.ShouldNotContain("Exception", Case.Sensitive, because);
        body.ShouldNotContain("System.", Case.Sensitive, because);
        (await SnapshotAsync()).ShouldBe(before, because);
    }

    public static TheoryData<string, string, string> NonUuidIds => new()
    {
        { "GET", "v1/devices/not-a-uuid", "invalid_id" },
        { "GET", "v1/devices/0123456789abcdef0123456789abcdef", "invalid_id" },
        { "GET", "v1/devices/%7B01234567-89ab-cdef-0123-456789abcdef%7D", "invalid_id" },
        { "POST", "v1/devices/123/revoke", "invalid_id" },
        { "GET", "v1/vaults/0123456789abcdef-0123-4567-89ab-cdef", "invalid_id" },
        { "PUT", "v1/vaults/xyz", "invalid_id" },
        { "PUT", "v1/vaults/xyz/containers/default", "invalid_id" },
        { "PUT", "v1/groups/ok/devices/nope", "invalid_id" },
        { "DELETE", "v1/groups/ok/devices/nope", "invalid_id" },
        { "PUT", "v1/groups/ok/vaults/01234567-89ab-cdef-0123-456789abcdeg", "invalid_id" },
        { "DELETE", "v1/groups/ok/vaults/%20", "invalid_id" },
    };

    [Theory]
    [MemberData(nameof(NonUuidIds))]
    public async Task Non_uuid_ids_are_400_invalid_id(string method, string path, string code) =>
        await ShouldChangeNothingAsync(c => c.SendAsync(new HttpMethod(method), path, Json("""{"name":"x","namespace":"x"}""")), 400, code, path);

    public static TheoryData<string> BadGroupIds => new()
    {
        new string('g', 129),
        "has%20space",
        "gr%C3%BCn",
        "emoji-%F0%9F%98%80",
        "semi%3Bcolon",
        "star*",
        "a%2Fb",
        "tab%09",
    };

    [Theory]
    [MemberData(nameof(BadGroupIds))]
    public async Task Group_ids_outside_the_alphabet_or_length_are_400_on_every_group_route(string gid)
    {
        var device = await _server.RegisterAsync();
        var vault = await _server.CreateVaultAsync();
        foreach (var (method, path) in new[]
        {
            ("GET", $"v1/groups/{gid}"), ("PUT", $"v1/groups/{gid}"), ("DELETE", $"v1/groups/{gid}"),
            ("PUT", $"v1/groups/{gid}/devices/{device.DeviceId}"), ("DELETE", $"v1/groups/{gid}/devices/{device.DeviceId}"),
            ("PUT", $"v1/groups/{gid}/vaults/{vault.VaultId}"), ("DELETE", $"v1/groups/{gid}/vaults/{vault.VaultId}"),
        })
        {
            await ShouldChangeNothingAsync(c => c.SendAsync(new HttpMethod(method), path), 400, "invalid_group_id", $"{method} {path}");
        }
    }

    [Fact]
    public async Task A_NUL_in_the_path_is_refused_by_Kestrel_before_routing_and_changes_nothing()
    {
        // Kestrel answers 400 with an empty body itself; the application never sees the request.
        var before = await SnapshotAsync();
        using var admin = _server.Admin();
        var r = await admin.PutAsync("v1/groups/a%00b", null);
        ((int)r.StatusCode).ShouldBe(400);
        (await SnapshotAsync()).ShouldBe(before);
    }

    [Fact]
    public async Task A_group_id_of_exactly_128_allowed_characters_is_accepted()
    {
        var gid = ("Aa0._:-" + new string('z', 121));
        gid.Length.ShouldBe(128);
        using var admin = _server.Admin();
        ((int)(await admin.PutAsync($"v1/groups/{gid}", null)).StatusCode).ShouldBe(201);
        ((int)(await admin.GetAsync($"v1/groups/{gid}")).StatusCode).ShouldBe(200);
    }

    [Fact]
    public async Task An_empty_group_id_via_a_double_slash_matches_no_route_and_changes_nothing()
    {
        var device = await _server.RegisterAsync();
        var vault = await _server.CreateVaultAsync();
        await ShouldChangeNothingAsync(c => c.PutAsync($"v1/groups//devices/{device.DeviceId}", null), 404, "not_found", "empty gid, device edge");
        await ShouldChangeNothingAsync(c => c.PutAsync($"v1/groups//vaults/{vault.VaultId}", null), 404, "not_found", "empty gid, vault edge");
        await ShouldChangeNothingAsync(c => c.DeleteAsync($"v1/groups//devices/{device.DeviceId}"), 404, "not_found", "empty gid, delete");
    }

    public static TheoryData<string, string> BadBodies => new()
    {
        { """{"name":"x","extra":1}""", "invalid_json" },
        { """{"name":"x","Name":"y"}""", "invalid_json" },
        { """{"NAME":"x"}""", "invalid_json" },
        { """{"name":"x","name":"y"}""", "invalid_json" },
        { """{"name":5}""", "invalid_json" },
        { """{"name":true}""", "invalid_json" },
        { """{"name":["x"]}""", "invalid_json" },
        { """{"name":null}""", "invalid_json" },
        { """{}""", "invalid_json" },
        { """[]""", "invalid_json" },
        { """null""", "invalid_json" },
        { "\"x\"", "invalid_json" },
        { "{\"name\":\"x\"", "invalid_json" },
        { """{"name":"x",}""", "invalid_json" },
        { """{"name":"x"} // comment""", "invalid_json" },
        { "", "invalid_json" },
        { """{"name":""}""", "invalid_argument" },
        { """{"name":"  "}""", "invalid_argument" },
        { """{"name":"a\nb"}""", "invalid_argument" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Bad_vault_bodies_are_400_on_post_and_put(string body, string code)
    {
        await ShouldChangeNothingAsync(c => c.PostAsync("v1/vaults", Json(body)), 400, code, "POST " + body);
        await ShouldChangeNothingAsync(c => c.PutAsync($"v1/vaults/{Guid.NewGuid()}", Json(body)), 400, code, "PUT " + body);
    }

    [Fact]
    public async Task Json_problems_name_the_field_and_never_a_dotnet_type()
    {
        using var admin = _server.Admin();
        (await (await admin.PostAsync("v1/vaults", Json("""{"name":"x","Name":"y"}"""))).ShouldBeProblemAsync(400, "invalid_json"))
            .Detail.ShouldBe("unknown field 'Name' at $.Name");
        (await (await admin.PostAsync("v1/vaults", Json("""{"name":"x","name":"y"}"""))).ShouldBeProblemAsync(400, "invalid_json"))
            .Detail!.ShouldContain("'name' appears more than once");
        (await (await admin.PostAsync("v1/vaults", Json("""{}"""))).ShouldBeProblemAsync(400, "invalid_json"))
            .Detail!.ShouldContain("name");
        var wrongType = await (await admin.PostAsync("v1/vaults", Json("""{"name":5}"""))).ShouldBeProblemAsync(400, "invalid_json");
        wrongType.Detail!.ShouldContain("$.name");
        wrongType.Detail!.ShouldNotContain("String");
        wrongType.Detail!.ShouldNotContain("VaultRequest");
    }

    [Theory]
    [InlineData("""{"namespace":"x","policy":{"max_file_bytes":"10"}}""", "invalid_json")]
    [InlineData("""{"namespace":"x","policy":{"read_only":"yes"}}""", "invalid_json")]
    [InlineData("""{"namespace":"x","policy":{"read_only":false,"quota":1}}""", "invalid_json")]
    [InlineData("""{"namespace":"x","policy":{"max_file_bytes":1.5}}""", "invalid_json")]
    [InlineData("""{"namespace":"x","policy":{"max_file_bytes":-1}}""", "invalid_argument")]
    [InlineData("""{"namespace":""}""", "invalid_argument")]
    [InlineData("""{"policy":{}}""", "invalid_json")]
    public async Task Bad_container_bodies_are_400(string body, string code)
    {
        var vault = await _server.CreateVaultAsync();
        await ShouldChangeNothingAsync(c => c.PutAsync($"v1/vaults/{vault.VaultId}/containers/docs", Json(body)), 400, code, body);
    }

    [Theory]
    [InlineData("""{"name":5}""", "invalid_json")]
    [InlineData("""{"name":"x","type":"team"}""", "invalid_json")]
    [InlineData("""{"ecosystem":""}""", "invalid_argument")]
    public async Task Bad_group_bodies_are_400(string body, string code) =>
        await ShouldChangeNothingAsync(c => c.PutAsync($"v1/groups/{Wire.NewGroup()}", Json(body)), 400, code, body);

    [Fact]
    public async Task A_body_without_a_json_content_type_is_415()
    {
        var noType = new ByteArrayContent(Encoding.UTF8.GetBytes("""{"name":"x"}"""));
        await ShouldChangeNothingAsync(c => c.PostAsync("v1/vaults", noType), 415, "unsupported_media_type", "no content type");
        var text = new StringContent("""{"name":"x"}""", Encoding.UTF8, "text/plain");
        await ShouldChangeNothingAsync(c => c.PutAsync($"v1/vaults/{Guid.NewGuid()}", text), 415, "unsupported_media_type", "text/plain");
        var form = new StringContent("name=x", Encoding.UTF8, "application/x-www-form-urlencoded");
        await ShouldChangeNothingAsync(c => c.PutAsync($"v1/groups/{Wire.NewGroup()}", form), 415, "unsupported_media_type", "form");
        using var anonymous = _server.Client();
        var register = new ByteArrayContent(Encoding.UTF8.GetBytes("""{"display_name":"x"}"""));
        await (await anonymous.PostAsync("v1/devices", register)).ShouldBeProblemAsync(415, "unsupported_media_type");
    }

    [Fact]
    public async Task A_body_over_one_mebibyte_is_413_with_or_without_a_content_length()
    {
        // Expect: 100-continue lets the server refuse a declared length before the body is sent; without it the
        // server may answer 413 and close while the client is still writing, and the client sees a broken pipe.
        var big = """{"name":""" + "\"" + new string('x', 1024 * 1024 + 16) + "\"}";
        await ShouldChangeNothingAsync(c => SendExpectingContinueAsync(c, HttpMethod.Post, "v1/vaults", big), 413, "body_too_large", "with Content-Length");

        var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(big)));
        chunked.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        await ShouldChangeNothingAsync(async c =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Put, $"v1/vaults/{Guid.NewGuid()}") { Content = chunked };
            request.Headers.TransferEncodingChunked = true;
            return await c.SendAsync(request);
        }, 413, "body_too_large", "chunked");

        using var anonymous = _server.Client();
        var register = """{"display_name":""" + "\"" + new string('x', 1024 * 1024 + 16) + "\"}";
        await (await SendExpectingContinueAsync(anonymous, HttpMethod.Post, "v1/devices", register)).ShouldBeProblemAsync(413, "body_too_large");
    }

    static async Task<HttpResponseMessage> SendExpectingContinueAsync(HttpClient c, HttpMethod method, string path, string json)
    {
        using var request = new HttpRequestMessage(method, path) { Content = Json(json) };
        request.Headers.ExpectContinue = true;
        return await c.SendAsync(request);
    }

    [Fact]
    public async Task Unknown_routes_and_methods_are_problems_too()
    {
        await ShouldChangeNothingAsync(c => c.GetAsync("v1/nothing-here"), 404, "not_found", "unknown route");
        await ShouldChangeNothingAsync(c => c.PatchAsync($"v1/groups/{Wire.NewGroup()}", Json("{}")), 405, "method_not_allowed", "PATCH a group");
        await ShouldChangeNothingAsync(c => c.DeleteAsync($"v1/vaults/{Guid.NewGuid()}"), 405, "method_not_allowed", "DELETE a vault");
    }
}
