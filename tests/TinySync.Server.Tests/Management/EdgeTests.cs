using TinySync.Core.Contracts;
using TinySync.Server.Tests.Identity;
using TinySync.Server.Tests.Support;

namespace TinySync.Server.Tests.Management;

/// <summary>Edges are idempotent (PUT twice = once, DELETE of a missing edge = success) and take effect at once.</summary>
public sealed class EdgeTests_Sqlite(SharedServer fixture) : EdgeTests(fixture), IClassFixture<SharedServer>;

public sealed class EdgeTests_Postgres(PostgresSharedServer fixture) : EdgeTests(fixture), IClassFixture<PostgresSharedServer>;

public abstract class EdgeTests(SharedServer fixture)
{
    readonly TestServer _server = fixture.Server;

    [Fact]
    public async Task Putting_a_device_edge_twice_is_one_edge_and_one_audit_row()
    {
        var device = await _server.RegisterAsync();
        var group = Wire.NewGroup();
        var head = await _server.AuditHeadAsync();
        using var admin = _server.Admin();

        var first = await admin.PutAsync($"v1/groups/{group}/devices/{device.DeviceId}", null);
        ((int)first.StatusCode).ShouldBe(200);
        (await first.ReadAsync<EdgeView>()).ShouldBe(new EdgeView(group, device.DeviceId, null, true));
        var second = await admin.PutAsync($"v1/groups/{group}/devices/{device.DeviceId}", null);
        ((int)second.StatusCode).ShouldBe(200);
        (await second.ReadAsync<EdgeView>()).Created.ShouldBeFalse();

        var audit = await _server.AuditAfterAsync(head);
        audit.Select(a => a.Action).ShouldBe(["group.created", "group.device_added"]);
        audit[1].Target.ShouldBe($"group:{group}/device:{device.DeviceId}");
        Db.Scalar(_server, "SELECT COUNT(*) FROM group_devices WHERE group_id = @g", ("@g", group)).ShouldBe(1L);
    }

    [Fact]
    public async Task Putting_a_vault_edge_twice_is_one_edge_and_one_audit_row()
    {
        var vault = await _server.CreateVaultAsync();
        var group = Wire.NewGroup();
        await _server.AddVaultToGroupAsync(group, vault.VaultId);
        var head = await _server.AuditHeadAsync();
        using var admin = _server.Admin();
        var again = await admin.PutAsync($"v1/groups/{group}/vaults/{vault.VaultId}", null);
        (await again.ReadAsync<EdgeView>()).ShouldBe(new EdgeView(group, null, vault.VaultId, false));
        (await _server.AuditHeadAsync()).ShouldBe(head);
    }

    [Fact]
    public async Task An_edge_put_creates_its_group_implicitly_without_metadata()
    {
        var device = await _server.RegisterAsync();
        var group = Wire.NewGroup();
        await _server.AddDeviceToGroupAsync(group, device.DeviceId);
        using var admin = _server.Admin();
        var view = await (await admin.GetAsync($"v1/groups/{group}")).ReadAsync<GroupView>();
        view.Name.ShouldBeNull();
        view.Ecosystem.ShouldBeNull();
        view.Devices.ShouldBe([device.DeviceId]);
        view.Vaults.ShouldBeEmpty();
    }

    [Fact]
    public async Task Deleting_a_missing_edge_is_204_and_records_nothing()
    {
        var device = await _server.RegisterAsync();
        var vault = await _server.CreateVaultAsync();
        var head = await _server.AuditHeadAsync();
        using var admin = _server.Admin();
        var group = Wire.NewGroup();
        ((int)(await admin.DeleteAsync($"v1/groups/{group}/devices/{device.DeviceId}")).StatusCode).ShouldBe(204);
        ((int)(await admin.DeleteAsync($"v1/groups/{group}/vaults/{vault.VaultId}")).StatusCode).ShouldBe(204);
        ((int)(await admin.DeleteAsync($"v1/groups/{group}")).StatusCode).ShouldBe(204);
        (await _server.AuditHeadAsync()).ShouldBe(head);
        await (await admin.GetAsync($"v1/groups/{group}")).ShouldBeProblemAsync(404, "group_not_found");
    }

    [Fact]
    public async Task Edges_to_unknown_devices_or_vaults_are_404_and_create_no_group()
    {
        var head = await _server.AuditHeadAsync();
        using var admin = _server.Admin();
        var group = Wire.NewGroup();
        await (await admin.PutAsync($"v1/groups/{group}/devices/{Guid.NewGuid()}", null)).ShouldBeProblemAsync(404, "device_not_found");
        await (await admin.PutAsync($"v1/groups/{group}/vaults/{Guid.NewGuid()}", null)).ShouldBeProblemAsync(404, "vault_not_found");
        await (await admin.DeleteAsync($"v1/groups/{group}/devices/{Guid.NewGuid()}")).ShouldBeProblemAsync(404, "device_not_found");
        await (await admin.DeleteAsync($"v1/groups/{group}/vaults/{Guid.NewGuid()}")).ShouldBeProblemAsync(404, "vault_not_found");
        (await _server.AuditHeadAsync()).ShouldBe(head);
        await (await admin.GetAsync($"v1/groups/{group}")).ShouldBeProblemAsync(404, "group_not_found");
    }

    [Fact]
    public async Task Removing_the_device_edge_removes_access_on_the_next_request()
    {
        var device = await _server.RegisterAsync();
        var vault = await _server.CreateVaultAsync();
        var group = Wire.NewGroup();
        await _server.AddDeviceToGroupAsync(group, device.DeviceId);
        await _server.AddVaultToGroupAsync(group, vault.VaultId);
        (await _server.ReachableVaultsAsync(device.Token)).ShouldBe([vault.VaultId]);

        using var admin = _server.Admin();
        ((int)(await admin.DeleteAsync($"v1/groups/{group}/devices/{device.DeviceId}")).StatusCode).ShouldBe(204);
        (await _server.ReachableVaultsAsync(device.Token)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Removing_the_vault_edge_removes_access_on_the_next_request_for_every_member()
    {
        var a = await _server.RegisterAsync("a");
        var b = await _server.RegisterAsync("b");
        var keep = await _server.CreateVaultAsync("keep");
        var drop = await _server.CreateVaultAsync("drop");
        var group = Wire.NewGroup();
        foreach (var d in new[] { a, b }) await _server.AddDeviceToGroupAsync(group, d.DeviceId);
        await _server.AddVaultToGroupAsync(group, keep.VaultId);
        await _server.AddVaultToGroupAsync(group, drop.VaultId);

        using var admin = _server.Admin();
        ((int)(await admin.DeleteAsync($"v1/groups/{group}/vaults/{drop.VaultId}")).StatusCode).ShouldBe(204);
        (await _server.ReachableVaultsAsync(a.Token)).ShouldBe([keep.VaultId]);
        (await _server.ReachableVaultsAsync(b.Token)).ShouldBe([keep.VaultId]);
    }

    [Fact]
    public async Task Deleting_a_group_removes_all_its_edges_and_access_on_the_next_request()
    {
        var device = await _server.RegisterAsync();
        var vault = await _server.CreateVaultAsync();
        var group = Wire.NewGroup();
        var other = Wire.NewGroup();
        await _server.AddDeviceToGroupAsync(group, device.DeviceId);
        await _server.AddVaultToGroupAsync(group, vault.VaultId);
        await _server.AddDeviceToGroupAsync(other, device.DeviceId);
        var head = await _server.AuditHeadAsync();

        using var admin = _server.Admin();
        ((int)(await admin.DeleteAsync($"v1/groups/{group}")).StatusCode).ShouldBe(204);
        (await _server.ReachableVaultsAsync(device.Token)).ShouldBeEmpty();
        await (await admin.GetAsync($"v1/groups/{group}")).ShouldBeProblemAsync(404, "group_not_found");
        (await (await admin.GetAsync($"v1/devices/{device.DeviceId}")).ReadAsync<DeviceView>()).Groups.ShouldBe([other]);
        (await (await admin.GetAsync($"v1/vaults/{vault.VaultId}")).ReadAsync<VaultView>()).Groups.ShouldBeEmpty();

        var row = (await _server.AuditAfterAsync(head)).ShouldHaveSingleItem();
        row.Action.ShouldBe("group.deleted");
        row.Target.ShouldBe($"group:{group}");
        row.Detail!.Value.GetProperty("device_edges").GetInt32().ShouldBe(1);
        row.Detail!.Value.GetProperty("vault_edges").GetInt32().ShouldBe(1);

        // re-creating the group id starts empty: nothing of the old edges comes back
        await _server.AddVaultToGroupAsync(group, vault.VaultId);
        (await _server.ReachableVaultsAsync(device.Token)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Group_metadata_put_creates_then_updates_and_a_repeat_records_nothing()
    {
        var group = Wire.NewGroup("team");
        var head = await _server.AuditHeadAsync();
        using var admin = _server.Admin();
        var created = await admin.PutAsync($"v1/groups/{group}", Json("""{"name":"Engineering","ecosystem":"scribe"}"""));
        ((int)created.StatusCode).ShouldBe(201);
        var view = await created.ReadAsync<GroupView>();
        (view.Name, view.Ecosystem).ShouldBe(("Engineering", "scribe"));

        ((int)(await admin.PutAsync($"v1/groups/{group}", Json("""{"name":"Engineering","ecosystem":"scribe"}"""))).StatusCode).ShouldBe(200);
        var renamed = await admin.PutAsync($"v1/groups/{group}", Json("""{"name":"Eng","ecosystem":"scribe"}"""));
        ((int)renamed.StatusCode).ShouldBe(200);
        (await renamed.ReadAsync<GroupView>()).Name.ShouldBe("Eng");
        ((int)(await admin.PutAsync($"v1/groups/{Wire.NewGroup()}", null)).StatusCode).ShouldBe(201, "a body is optional");

        var audit = await _server.AuditAfterAsync(head);
        audit.Select(a => a.Action).ShouldBe(["group.created", "group.updated", "group.created"]);
        audit[1].Detail!.Value.GetProperty("name").GetString().ShouldBe("Eng");
    }
}
