using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using PlatformService.Tests.Support;
using TinySync.Management;

namespace PlatformService.Tests;

/// <summary>
/// The integration the seeds describe, end to end over loopback HTTP: a real TinySync server with registration
/// closed to everyone but the admin token, the playground with its own SQLite catalog, and devices using their tokens.
/// </summary>
public sealed class PlaygroundFlowTests : IAsyncLifetime
{
    TestServer _server = null!;
    Playground _pg = null!;
    TinySyncManagementClient _admin = null!;

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync(s => s["TINYSYNC_OPEN_DEVICE_REGISTRATION"] = "false");
        _pg = await Playground.StartAsync(_server.BaseAddress, _server.AdminToken);
        _admin = new TinySyncManagementClient(_server.BaseAddress, _server.AdminToken);
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _pg.DisposeAsync();
        await _server.DisposeAsync();
    }

    async Task<(string Credential, JsonObject Workspace, Guid Vault)> UserInWorkspaceAsync(string user, string ws)
    {
        var credential = await _pg.CreateUserAsync(user);
        var workspace = await _pg.CreateWorkspaceAsync(ws);
        workspace["status"]!.GetValue<string>().ShouldBe("applied");
        await _pg.FireOkAsync(new { id = $"join-{user}-{ws}", type = "user.joined_workspace", user_id = user, workspace_id = ws });
        var state = await _pg.StateAsync();
        var vault = Guid.Parse(state["workspaces"]!.AsArray().Single(w => w!["workspace_id"]!.GetValue<string>() == ws)!["vaults"]![0]!["vault_id"]!.GetValue<string>());
        return (credential, workspace, vault);
    }

    [Fact]
    public async Task Drive_setup_token_reaches_the_workspace_vault_and_leaving_takes_it_away()
    {
        var (credential, _, vault) = await UserInWorkspaceAsync("ada", "acme");

        var (deviceId, token, body) = await _pg.SetUpDriveAsync("ada", credential, "Ada's laptop");
        token.ShouldStartWith($"tsdev_{deviceId:D}_");
        body["groups_status"]!.GetValue<string>().ShouldBe("applied");
        body["server"]!.GetValue<string>().ShouldBe(_server.BaseAddress.AbsoluteUri);

        var (status, me) = await Playground.MeAsync(_server.BaseAddress, token);
        status.ShouldBe(HttpStatusCode.OK);
        me!.DeviceId.ShouldBe(deviceId);
        me.Vaults.Select(v => v.VaultId).ShouldBe([vault]);
        me.Groups.ShouldBe(["pg:ws:acme"]);

        await _pg.FireOkAsync(new { id = "leave-1", type = "user.left_workspace", user_id = "ada", workspace_id = "acme" });
        (status, me) = await Playground.MeAsync(_server.BaseAddress, token);
        status.ShouldBe(HttpStatusCode.OK);
        me!.Vaults.ShouldBeEmpty("the next device request no longer sees the vault");
        (await _admin.GetGroupAsync("pg:ws:acme")).Devices.ShouldBeEmpty();
    }

    [Fact]
    public async Task Devices_set_up_without_a_name_get_distinct_default_names()
    {
        var (credential, _, _) = await UserInWorkspaceAsync("ann", "acme");
        await _pg.SetUpDriveAsync("ann", credential, "Ann's phone");
        var names = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            using var req = new HttpRequestMessage(HttpMethod.Post, "users/ann/drive-setup");
            req.Headers.Authorization = new("Bearer", credential);
            var r = await _pg.Http.SendAsync(req);
            r.StatusCode.ShouldBe(HttpStatusCode.Created);
            names.Add((await r.Content.ReadFromJsonAsync<JsonObject>())!["display_name"]!.GetValue<string>());
        }
        names.ShouldBe(["Drive of User ann", "Drive of User ann (2)", "Drive of User ann (3)"]);
        (await _admin.ListDevicesAsync()).Devices.Select(d => d.DisplayName).ShouldBe(["Ann's phone", .. names], ignoreOrder: true);
    }

    [Fact]
    public async Task Drive_setup_needs_the_users_credential()
    {
        await _pg.CreateUserAsync("bob");
        using var req = new HttpRequestMessage(HttpMethod.Post, "users/bob/drive-setup");
        req.Headers.Authorization = new("Bearer", "psu_wrong");
        var r = await _pg.Http.SendAsync(req);
        r.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await r.Content.ReadAsStringAsync()).ShouldContain("invalid_credential");
        var r2 = await _pg.Http.PostAsync("users/nobody/drive-setup", null);
        r2.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await _admin.ListDevicesAsync()).Devices.ShouldBeEmpty("nothing registered for a stranger");
    }

    [Fact]
    public async Task User_deleted_revokes_all_the_users_devices()
    {
        var (credential, _, _) = await UserInWorkspaceAsync("cy", "acme");
        var (d1, t1, _) = await _pg.SetUpDriveAsync("cy", credential, "laptop");
        var (d2, t2, _) = await _pg.SetUpDriveAsync("cy", credential, "desktop");
        (await Playground.MeAsync(_server.BaseAddress, t1)).Status.ShouldBe(HttpStatusCode.OK);

        await _pg.FireOkAsync(new { id = "del-cy", type = "user.deleted", user_id = "cy" });

        (await Playground.MeAsync(_server.BaseAddress, t1)).Status.ShouldBe(HttpStatusCode.Unauthorized);
        (await Playground.MeAsync(_server.BaseAddress, t2)).Status.ShouldBe(HttpStatusCode.Unauthorized);
        (await _admin.GetDeviceAsync(d1)).RevokedAt.ShouldNotBeNull();
        (await _admin.GetDeviceAsync(d2)).RevokedAt.ShouldNotBeNull();
        var devices = (await _pg.StateAsync())["devices"]!.AsArray();
        devices.ShouldAllBe(d => d!["revoke_reason"]!.GetValue<string>() == "user deleted");

        var (status, problem) = await _pg.FireAsync(new { id = "late-join", type = "user.joined_workspace", user_id = "cy", workspace_id = "acme" });
        status.ShouldBe(HttpStatusCode.Conflict);
        problem["code"]!.GetValue<string>().ShouldBe("user_deleted");
    }

    [Fact]
    public async Task Device_revoked_by_admin_is_revoked_in_TinySync()
    {
        var (credential, _, _) = await UserInWorkspaceAsync("dee", "acme");
        var (deviceId, token, _) = await _pg.SetUpDriveAsync("dee", credential);
        await _pg.FireOkAsync(new { id = "rev-1", type = "device.revoked_by_admin", device_id = deviceId });
        (await Playground.MeAsync(_server.BaseAddress, token)).Status.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_duplicated_event_changes_nothing()
    {
        await _pg.CreateWorkspaceAsync("acme");
        var ev = new { id = "vault-dup", type = "workspace.vault_added", workspace_id = "acme", name = "Designs" };
        var first = await _pg.FireOkAsync(ev);
        first["duplicate"]!.GetValue<bool>().ShouldBeFalse();
        var callsAfterFirst = await _pg.CallsForEventAsync("vault-dup");
        callsAfterFirst.Count.ShouldBe(2); // PUT vault, PUT group vault edge
        var totalCalls = (await _pg.CallsAsync()).Count;
        var vaultsBefore = (await _admin.ListVaultsAsync()).Vaults.Count;

        var second = await _pg.FireOkAsync(ev);
        second["duplicate"]!.GetValue<bool>().ShouldBeTrue();

        (await _pg.CallsForEventAsync("vault-dup")).Count.ShouldBe(2, "no second call");
        (await _pg.CallsAsync()).Count.ShouldBe(totalCalls);
        (await _admin.ListVaultsAsync()).Vaults.Count.ShouldBe(vaultsBefore);
        var ws = (await _pg.StateAsync())["workspaces"]![0]!;
        ws["vaults"]!.AsArray().Count.ShouldBe(2);
    }

    [Fact]
    public async Task Vault_added_and_removed_follow_the_workspace()
    {
        var (credential, _, _) = await UserInWorkspaceAsync("eve", "acme");
        var (_, token, _) = await _pg.SetUpDriveAsync("eve", credential);
        var chosen = Guid.NewGuid();
        await _pg.FireOkAsync(new { id = "va-1", type = "workspace.vault_added", workspace_id = "acme", vault_id = chosen, name = "Shared" });
        (await Playground.MeAsync(_server.BaseAddress, token)).Me!.Vaults.Select(v => v.VaultId).ShouldContain(chosen);
        (await _admin.GetVaultAsync(chosen)).Name.ShouldBe("Shared");

        await _pg.FireOkAsync(new { id = "vr-1", type = "workspace.vault_removed", workspace_id = "acme", vault_id = chosen });
        (await Playground.MeAsync(_server.BaseAddress, token)).Me!.Vaults.Select(v => v.VaultId).ShouldNotContain(chosen);

        // An existing vault attached by id without a name keeps its name.
        var existing = await _admin.PutVaultAsync(Guid.NewGuid(), "Made elsewhere");
        await _pg.FireOkAsync(new { id = "va-2", type = "workspace.vault_added", workspace_id = "acme", vault_id = existing.VaultId });
        (await _admin.GetVaultAsync(existing.VaultId)).Name.ShouldBe("Made elsewhere");
        (await Playground.MeAsync(_server.BaseAddress, token)).Me!.Vaults.Select(v => v.VaultId).ShouldContain(existing.VaultId);
        (await _pg.ReconcileAsync())["repairs"]!.AsArray().ShouldBeEmpty();
    }

    [Fact]
    public async Task Reconcile_repairs_edges_changed_directly_on_the_server()
    {
        var (credential, _, vault) = await UserInWorkspaceAsync("fay", "acme");
        var (deviceId, token, _) = await _pg.SetUpDriveAsync("fay", credential);
        var stray = await _admin.PutVaultAsync(Guid.NewGuid(), "not the workspace's");

        // Someone edits TinySync behind the playground's back.
        await _admin.RemoveDeviceFromGroupAsync("pg:ws:acme", deviceId);
        await _admin.AddVaultToGroupAsync("pg:ws:acme", stray.VaultId);
        (await Playground.MeAsync(_server.BaseAddress, token)).Me!.Vaults.ShouldBeEmpty();

        var report = await _pg.ReconcileAsync();
        var actions = report["repairs"]!.AsArray().Select(r => r!["action"]!.GetValue<string>()).ToList();
        actions.ShouldBe(["add_device_edge", "remove_vault_edge"], ignoreOrder: true);

        var group = await _admin.GetGroupAsync("pg:ws:acme");
        group.Devices.ShouldBe([deviceId]);
        group.Vaults.ShouldBe([vault]);
        (await Playground.MeAsync(_server.BaseAddress, token)).Me!.Vaults.Select(v => v.VaultId).ShouldBe([vault]);

        (await _pg.ReconcileAsync())["repairs"]!.AsArray().ShouldBeEmpty("a second pass finds nothing to repair");
    }

    [Fact]
    public async Task Reconcile_recreates_a_deleted_group()
    {
        var (credential, _, vault) = await UserInWorkspaceAsync("gil", "acme");
        var (deviceId, _, _) = await _pg.SetUpDriveAsync("gil", credential);
        await _admin.DeleteGroupAsync("pg:ws:acme");
        var report = await _pg.ReconcileAsync();
        report["repairs"]!.AsArray().Select(r => r!["action"]!.GetValue<string>())
            .ShouldBe(["create_group", "add_device_edge", "add_vault_edge"], ignoreOrder: true);
        var group = await _admin.GetGroupAsync("pg:ws:acme");
        group.Devices.ShouldBe([deviceId]);
        group.Vaults.ShouldBe([vault]);
    }

    [Fact]
    public async Task Device_revoked_behind_the_playgrounds_back_is_logged_and_the_catalog_follows()
    {
        var (credential, _, _) = await UserInWorkspaceAsync("hal", "acme");
        var (deviceId, _, _) = await _pg.SetUpDriveAsync("hal", credential);
        await _pg.CreateWorkspaceAsync("beta");
        await _admin.RevokeDeviceAsync(deviceId);

        var body = await _pg.FireOkAsync(new { id = "join-beta", type = "user.joined_workspace", user_id = "hal", workspace_id = "beta" });
        body["status"]!.GetValue<string>().ShouldBe("applied");

        var state = await _pg.StateAsync();
        var device = state["devices"]!.AsArray().Single()!;
        device["revoked_at"].ShouldNotBeNull();
        device["revoke_reason"]!.GetValue<string>().ShouldBe("revoked in TinySync outside the playground");
        var calls = await _pg.CallsForEventAsync("join-beta");
        calls.ShouldContain(c => c["status"]!.GetValue<int>() == 409);
        state["activity"]!.AsArray().ShouldContain(a => a!["level"]!.GetValue<string>() == "warning"
            && a["message"]!.GetValue<string>().Contains("device_is_revoked", StringComparison.Ordinal)
            && a["context"]!.GetValue<string>() == "event join-beta");

        // Reconcile agrees: nothing left to repair, the revoked device's old edge grants nothing.
        (await _pg.ReconcileAsync())["repairs"]!.AsArray().ShouldBeEmpty();
    }

    [Theory]
    [InlineData("{", 400, "invalid_json")]
    [InlineData("[]", 400, "invalid_json")]
    [InlineData("{\"type\":\"user.joined_workspace\",\"user_id\":\"x\",\"workspace_id\":\"y\"}", 400, "invalid_event")]
    [InlineData("{\"id\":\"e1\",\"type\":\"user.exploded\"}", 400, "invalid_event")]
    [InlineData("{\"id\":\"e1\",\"type\":\"user.joined_workspace\",\"user_id\":\"x\"}", 400, "invalid_event")]
    [InlineData("{\"id\":\"e1\",\"type\":\"user.joined_workspace\",\"user_id\":7,\"workspace_id\":\"acme\"}", 400, "invalid_event")]
    [InlineData("{\"id\":\"e1\",\"type\":\"workspace.vault_removed\",\"workspace_id\":\"acme\",\"vault_id\":\"nope\"}", 400, "invalid_event")]
    [InlineData("{\"id\":\"e1\",\"type\":\"user.joined_workspace\",\"user_id\":\"ghost\",\"workspace_id\":\"acme\"}", 404, "unknown_user")]
    [InlineData("{\"id\":\"e1\",\"type\":\"user.joined_workspace\",\"user_id\":\"ivy\",\"workspace_id\":\"nowhere\"}", 404, "unknown_workspace")]
    [InlineData("{\"id\":\"e1\",\"type\":\"device.revoked_by_admin\",\"device_id\":\"0193e9a0-0000-7000-8000-000000000000\"}", 404, "unknown_device")]
    public async Task Bad_events_get_clear_problem_details_and_are_not_recorded(string json, int status, string code)
    {
        await _pg.CreateUserAsync("ivy");
        await _pg.CreateWorkspaceAsync("acme");
        var r = await _pg.Http.PostAsync("events", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        var text = await r.Content.ReadAsStringAsync();
        ((int)r.StatusCode).ShouldBe(status, text);
        r.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        var problem = JsonNode.Parse(text)!;
        problem["code"]!.GetValue<string>().ShouldBe(code);
        problem["detail"]!.GetValue<string>().ShouldNotBeNullOrWhiteSpace();
        (await _pg.StateAsync())["events"]!.AsArray().ShouldAllBe(e => e!["type"]!.GetValue<string>() == "workspace.created",
            "a refused event is not recorded, so a corrected redelivery with the same id is applied");
    }
}
