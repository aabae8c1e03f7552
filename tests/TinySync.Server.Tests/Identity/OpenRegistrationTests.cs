using System.Net.Http.Json;
using TinySync.Core.Contracts;
using TinySync.Core.Json;
using TinySync.Server.Tests.Support;

namespace TinySync.Server.Tests.Identity;

public sealed class OpenRegistrationTests_Sqlite() : OpenRegistrationTests(Backend.Sqlite);

public sealed class OpenRegistrationTests_Postgres() : OpenRegistrationTests(Backend.Postgres);

public abstract class OpenRegistrationTests(Backend backend)
{
    [Fact]
    public async Task Open_registration_accepts_anyone_and_grants_no_vault_access()
    {
        await using var server = await TestServer.StartAsync(backend);
        await server.CreateVaultAsync("someone else's");
        using var anonymous = server.Client();
        var r = await anonymous.PostAsync("v1/devices", Json("""{"display_name":"anyone"}"""));
        ((int)r.StatusCode).ShouldBe(201);
        r.Headers.CacheControl!.NoStore.ShouldBeTrue("the only copy of the token must not be cached");
        var device = await r.ReadAsync<DeviceRegistered>();
        r.Headers.Location!.ToString().ShouldEndWith(device.DeviceId.ToString());
        using var asDevice = server.Client(device.Token);
        var me = await asDevice.GetFromJsonAsync<MeView>("v1/me", TinySyncJson.Options);
        me!.Vaults.ShouldBeEmpty("registration grants no vault access");
        me.Groups.ShouldBeEmpty();
    }

    [Fact]
    public async Task Closed_registration_refuses_anonymous_device_token_and_wrong_admin_token_and_changes_nothing()
    {
        await using var server = await TestServer.StartAsync(backend, s => s["TINYSYNC_OPEN_DEVICE_REGISTRATION"] = "false");
        using var admin = server.Admin();
        var viaAdmin = await admin.PostAsync("v1/devices", Json("""{"display_name":"via platform service"}"""));
        ((int)viaAdmin.StatusCode).ShouldBe(201, "the admin token may always register");
        var registered = await viaAdmin.ReadAsync<DeviceRegistered>();
        var head = await server.AuditHeadAsync();
        var devices = Db.Count(server, "devices");

        using (var anonymous = server.Client())
            await (await anonymous.PostAsync("v1/devices", Json("""{"display_name":"x"}"""))).ShouldBeProblemAsync(401, "registration_closed");
        using (var device = server.Client(registered.Token))
            await (await device.PostAsync("v1/devices", Json("""{"display_name":"x"}"""))).ShouldBeProblemAsync(403, "admin_token_required");
        using (var wrong = server.Client("tsadm_not-the-admin-token-0000000000"))
        {
            var r = await wrong.PostAsync("v1/devices", Json("""{"display_name":"x"}"""));
            var problem = await r.ShouldBeProblemAsync(401, "invalid_token");
            (await r.Content.ReadAsStringAsync()).ShouldNotContain("tsadm_not-the-admin-token");
        }
        // a bad body is refused for its credential first, never parsed
        using (var anonymous = server.Client())
            await (await anonymous.PostAsync("v1/devices", Json("{"))).ShouldBeProblemAsync(401, "registration_closed");

        (await server.AuditHeadAsync()).ShouldBe(head);
        Db.Count(server, "devices").ShouldBe(devices);
        server.LogText.ShouldContain("admin-only");
    }

    [Fact]
    public async Task Registration_validates_the_display_name()
    {
        await using var server = await TestServer.StartAsync(backend);
        using var c = server.Client();
        await (await c.PostAsync("v1/devices", Json("""{"display_name":""}"""))).ShouldBeProblemAsync(400, "invalid_argument");
        await (await c.PostAsync("v1/devices", Json("""{"display_name":"   "}"""))).ShouldBeProblemAsync(400, "invalid_argument");
        await (await c.PostAsync("v1/devices", Json($$"""{"display_name":"{{new string('x', 201)}}"}"""))).ShouldBeProblemAsync(400, "invalid_argument");
        await (await c.PostAsync("v1/devices", Json("""{"display_name":"a\u0000b"}"""))).ShouldBeProblemAsync(400, "invalid_argument");
        await (await c.PostAsync("v1/devices", Json("""{}"""))).ShouldBeProblemAsync(400, "invalid_json");
        await (await c.PostAsync("v1/devices", Json("""{"display_name":"x","device_id":"00000000-0000-0000-0000-000000000001"}"""))).ShouldBeProblemAsync(400, "invalid_json");
        Db.Count(server, "devices").ShouldBe(0);
        var ok = await c.PostAsJsonAsync("v1/devices", new RegisterDeviceRequest(new string('x', 200)), TinySyncJson.Options);
        ((int)ok.StatusCode).ShouldBe(201);
    }
}
