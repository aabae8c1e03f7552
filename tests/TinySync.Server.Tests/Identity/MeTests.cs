using System.Text.Json;
using TinySync.Core.Contracts;
using TinySync.Server.Tests.Support;

namespace TinySync.Server.Tests.Identity;

/// <summary>
/// <c>GET /v1/me</c> is answered by one statement over the edges (decision 0214): a device in several groups that reach
/// overlapping vaults, each with several containers, must get every reachable vault exactly once, with exactly its
/// containers, in the documented order, and nothing it cannot reach; and a revocation or a removed edge shows on the
/// very next request.
/// </summary>
public sealed class MeTests_Sqlite(SharedServer fixture) : MeTests(fixture), IClassFixture<SharedServer>;

public sealed class MeTests_Postgres(PostgresSharedServer fixture) : MeTests(fixture), IClassFixture<PostgresSharedServer>;

public abstract class MeTests(SharedServer fixture)
{
    readonly TestServer _server = fixture.Server;

    [Fact]
    public async Task Overlapping_groups_list_each_reachable_vault_once_with_all_its_containers_in_order()
    {
        // Group ids chosen so that byte order and a linguistic order disagree ('B' < 'a' only in byte order).
        var suffix = Guid.NewGuid().ToString("N");
        var gUpper = $"B-{suffix}";
        var gLower = $"a-{suffix}";
        var gThird = $"c:{suffix}";
        var gOther = $"other-{suffix}";
        var device = await _server.RegisterAsync("several groups");
        var bystander = await _server.RegisterAsync("bystander");
        var v1 = await _server.CreateVaultAsync("reached through B and a");
        var v2 = await _server.CreateVaultAsync("reached through a and c");
        var v3 = await _server.CreateVaultAsync("reached through c only");
        var v4 = await _server.CreateVaultAsync("in a group the device is not in");
        var v5 = await _server.CreateVaultAsync("in no group");

        using var admin = _server.Admin();
        async Task Container(Guid vault, string name, string body) =>
            ((int)(await admin.PutAsync($"v1/vaults/{vault}/containers/{name}", Json(body))).StatusCode).ShouldBe(201);
        await Container(v1.VaultId, "photos", """{"namespace":"drive","policy":{"max_file_bytes":1048576,"read_only":false}}""");
        await Container(v1.VaultId, "notes", """{"namespace":"scribe","policy":{"read_only":true}}""");
        await Container(v2.VaultId, "a-first", """{"namespace":"x"}""");
        await Container(v4.VaultId, "hidden", """{"namespace":"x"}""");

        foreach (var g in new[] { gUpper, gLower, gThird }) await _server.AddDeviceToGroupAsync(g, device.DeviceId);
        await _server.AddDeviceToGroupAsync(gOther, bystander.DeviceId);
        await _server.AddVaultToGroupAsync(gUpper, v1.VaultId);
        await _server.AddVaultToGroupAsync(gLower, v1.VaultId);
        await _server.AddVaultToGroupAsync(gLower, v2.VaultId);
        await _server.AddVaultToGroupAsync(gThird, v2.VaultId);
        await _server.AddVaultToGroupAsync(gThird, v3.VaultId);
        await _server.AddVaultToGroupAsync(gOther, v4.VaultId);
        _ = v5;

        using var c = _server.Client(device.Token);
        var me = await (await c.GetAsync("v1/me")).ReadAsync<MeView>();
        me.DeviceId.ShouldBe(device.DeviceId);
        me.DisplayName.ShouldBe("several groups");
        me.RegisteredAt.ShouldBe(device.RegisteredAt);
        me.Groups.ShouldBe([gUpper, gLower, gThird]); // byte order: 'B' < 'a' < 'c'

        var expected = new[] { v1, v2, v3 }.OrderBy(v => v.VaultId.ToString("D"), StringComparer.Ordinal).ToList();
        me.Vaults.Select(v => v.VaultId).ShouldBe(expected.Select(v => v.VaultId), "each reachable vault once, by id");
        var byId = me.Vaults.ToDictionary(v => v.VaultId);
        byId[v1.VaultId].Name.ShouldBe("reached through B and a");
        byId[v1.VaultId].Head.ShouldBe(0);
        byId[v1.VaultId].Containers.ShouldBe([
            new ContainerView("default", "default", new ContainerPolicy(null, false)),
            new ContainerView("notes", "scribe", new ContainerPolicy(null, true)),
            new ContainerView("photos", "drive", new ContainerPolicy(1048576, false)),
        ]);
        byId[v2.VaultId].Containers.Select(x => x.Name).ShouldBe(["a-first", "default"]);
        byId[v3.VaultId].Containers.Select(x => x.Name).ShouldBe(["default"]);

        // The containers listed are exactly the admin view's, for every vault.
        foreach (var v in me.Vaults)
        {
            var view = await (await admin.GetAsync($"v1/vaults/{v.VaultId}")).ReadAsync<VaultView>();
            v.Containers.ShouldBe(view.Containers);
            v.Head.ShouldBe(view.Head);
        }

        // The bystander sees only its own group's vault; a device in no group sees nothing.
        var other = await (await _server.Client(bystander.Token).GetAsync("v1/me")).ReadAsync<MeView>();
        other.Groups.ShouldBe([gOther]);
        other.Vaults.ShouldHaveSingleItem().Containers.Select(x => x.Name).ShouldBe(["default", "hidden"]);
        var lonely = await _server.RegisterAsync("in no group");
        var none = await (await _server.Client(lonely.Token).GetAsync("v1/me")).ReadAsync<MeView>();
        none.Groups.ShouldBeEmpty();
        none.Vaults.ShouldBeEmpty();
    }

    [Fact]
    public async Task Me_body_is_exactly_the_wire_shape()
    {
        // Vault ids chosen by the caller, so the expected body can be written out byte for byte.
        var group = Wire.NewGroup();
        var suffix = Guid.NewGuid().ToString("N")[..12];
        var vFirst = Guid.Parse($"00000000-0000-7000-8000-{suffix}");
        var vSecond = Guid.Parse($"ffffffff-0000-7000-8000-{suffix}");
        using var admin = _server.Admin();
        ((int)(await admin.PutAsync($"v1/vaults/{vSecond}", Json("""{"name":"Zweite \"Ablage\""}"""))).StatusCode).ShouldBe(201);
        ((int)(await admin.PutAsync($"v1/vaults/{vFirst}", Json("""{"name":"Première"}"""))).StatusCode).ShouldBe(201);
        ((int)(await admin.PutAsync($"v1/vaults/{vFirst}/containers/scribe.notes", Json("""{"namespace":"scribe","policy":{"max_file_bytes":42,"read_only":true}}"""))).StatusCode).ShouldBe(201);

        using var anonymous = _server.Client();
        var registration = await anonymous.PostAsync("v1/devices", Json("""{"display_name":"Zoë's <laptop> & co"}"""));
        using var registered = JsonDocument.Parse(await registration.Content.ReadAsStringAsync());
        var deviceId = registered.RootElement.GetProperty("device_id").GetString()!;
        var token = registered.RootElement.GetProperty("token").GetString()!;
        var registeredAt = registered.RootElement.GetProperty("registered_at").GetRawText();
        await _server.AddDeviceToGroupAsync(group, Guid.Parse(deviceId));
        await _server.AddVaultToGroupAsync(group, vSecond);
        await _server.AddVaultToGroupAsync(group, vFirst);

        using var c = _server.Client(token);
        var response = await c.GetAsync("v1/me");
        ((int)response.StatusCode).ShouldBe(200);
        response.Content.Headers.ContentType!.ToString().ShouldBe("application/json; charset=utf-8");
        var body = await response.Content.ReadAsStringAsync();
        body.ShouldBe(
            "{\"device_id\":\"" + deviceId + "\",\"display_name\":\"Zoë's <laptop> & co\",\"registered_at\":" + registeredAt +
            ",\"groups\":[\"" + group + "\"],\"vaults\":[" +
            "{\"vault_id\":\"" + vFirst + "\",\"name\":\"Première\",\"head\":0,\"containers\":[" +
            "{\"name\":\"default\",\"namespace\":\"default\",\"policy\":{\"max_file_bytes\":null,\"read_only\":false}}," +
            "{\"name\":\"scribe.notes\",\"namespace\":\"scribe\",\"policy\":{\"max_file_bytes\":42,\"read_only\":true}}]}," +
            "{\"vault_id\":\"" + vSecond + "\",\"name\":\"Zweite \\\"Ablage\\\"\",\"head\":0,\"containers\":[" +
            "{\"name\":\"default\",\"namespace\":\"default\",\"policy\":{\"max_file_bytes\":null,\"read_only\":false}}]}]}");
    }

    [Fact]
    public async Task Removed_edges_and_a_revocation_show_on_the_very_next_me()
    {
        var g1 = Wire.NewGroup();
        var g2 = Wire.NewGroup();
        var device = await _server.RegisterAsync("loses things");
        var v1 = await _server.CreateVaultAsync("through g1");
        var v2 = await _server.CreateVaultAsync("through g1 and g2");
        await _server.AddDeviceToGroupAsync(g1, device.DeviceId);
        await _server.AddDeviceToGroupAsync(g2, device.DeviceId);
        await _server.AddVaultToGroupAsync(g1, v1.VaultId);
        await _server.AddVaultToGroupAsync(g1, v2.VaultId);
        await _server.AddVaultToGroupAsync(g2, v2.VaultId);
        using var c = _server.Client(device.Token);
        using var admin = _server.Admin();
        async Task<MeView> Me() => await (await c.GetAsync("v1/me")).ReadAsync<MeView>();
        (await Me()).Vaults.Count.ShouldBe(2);

        // group -> vault edge removed: v1 is gone at once; v2 stays, still reached through g2
        ((int)(await admin.DeleteAsync($"v1/groups/{g1}/vaults/{v1.VaultId}")).StatusCode).ShouldBe(204);
        (await Me()).Vaults.Select(v => v.VaultId).ShouldBe([v2.VaultId]);

        // device -> group edge removed: g2 is gone from the groups, v2 stays through g1
        ((int)(await admin.DeleteAsync($"v1/groups/{g2}/devices/{device.DeviceId}")).StatusCode).ShouldBe(204);
        var me = await Me();
        me.Groups.ShouldBe([g1]);
        me.Vaults.Select(v => v.VaultId).ShouldBe([v2.VaultId]);

        // the last path to v2 removed: nothing reachable, the device itself still answers
        ((int)(await admin.DeleteAsync($"v1/groups/{g1}/devices/{device.DeviceId}")).StatusCode).ShouldBe(204);
        me = await Me();
        me.Groups.ShouldBeEmpty();
        me.Vaults.ShouldBeEmpty();

        // revoked: the very next /v1/me is 401
        ((int)(await admin.PostAsync($"v1/devices/{device.DeviceId}/revoke", null)).StatusCode).ShouldBe(200);
        await (await c.GetAsync("v1/me")).ShouldBeProblemAsync(401, "device_revoked");
    }
}
