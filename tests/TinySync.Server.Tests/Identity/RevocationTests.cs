using TinySync.Core.Contracts;
using TinySync.Server.Tests.Support;

namespace TinySync.Server.Tests.Identity;

public sealed class RevocationTests_Sqlite(SharedServer fixture) : RevocationTests(fixture), IClassFixture<SharedServer>;

public sealed class RevocationTests_Postgres(PostgresSharedServer fixture) : RevocationTests(fixture), IClassFixture<PostgresSharedServer>;

public abstract class RevocationTests(SharedServer fixture)
{
    readonly TestServer _server = fixture.Server;

    [Fact]
    public async Task Admin_revocation_fails_the_very_next_request_with_401()
    {
        var (device, _) = await _server.DeviceWithVaultAsync("to revoke");
        using var c = _server.Client(device.Token);
        (await c.GetAsync("v1/me")).EnsureSuccessStatusCode();

        using var admin = _server.Admin();
        var revoked = await admin.PostAsync($"v1/devices/{device.DeviceId}/revoke", null);
        ((int)revoked.StatusCode).ShouldBe(200);
        (await revoked.ReadAsync<DeviceView>()).RevokedAt.ShouldNotBeNull();

        var next = await c.GetAsync("v1/me");
        await next.ShouldBeProblemAsync(401, "device_revoked");
        next.Headers.WwwAuthenticate.ToString().ShouldStartWith("Bearer");
        await (await c.PostAsync("v1/me/revoke", null)).ShouldBeProblemAsync(401, "device_revoked");
    }

    [Fact]
    public async Task Self_revocation_fails_the_very_next_request_and_is_audited_as_self()
    {
        var device = await _server.RegisterAsync("signing out");
        var head = await _server.AuditHeadAsync();
        using var c = _server.Client(device.Token);
        ((int)(await c.PostAsync("v1/me/revoke", null)).StatusCode).ShouldBe(204);
        await (await c.GetAsync("v1/me")).ShouldBeProblemAsync(401, "device_revoked");

        var audit = await _server.AuditAfterAsync(head);
        var row = audit.ShouldHaveSingleItem();
        row.Action.ShouldBe("device.revoked");
        row.Target.ShouldBe($"device:{device.DeviceId}");
        row.Detail!.Value.GetProperty("by").GetString().ShouldBe("self");
    }

    [Fact]
    public async Task Revocation_is_idempotent_keeps_the_row_and_hash_and_records_once()
    {
        var device = await _server.RegisterAsync("twice");
        var head = await _server.AuditHeadAsync();
        using var admin = _server.Admin();
        var first = await (await admin.PostAsync($"v1/devices/{device.DeviceId}/revoke", null)).ReadAsync<DeviceView>();
        var second = await admin.PostAsync($"v1/devices/{device.DeviceId}/revoke", null);
        ((int)second.StatusCode).ShouldBe(200);
        (await second.ReadAsync<DeviceView>()).RevokedAt.ShouldBe(first.RevokedAt, "the first revocation time stands");

        var audit = await _server.AuditAfterAsync(head);
        audit.ShouldHaveSingleItem().Detail!.Value.GetProperty("by").GetString().ShouldBe("admin");
        var hash = Db.Scalar(_server, "SELECT credential_hash FROM devices WHERE device_id = @d", ("@d", device.DeviceId.ToString("D")));
        hash.ShouldBeOfType<byte[]>().Length.ShouldBe(32, "the hash stays for change-log attribution");
        await (await admin.PostAsync($"v1/devices/{Guid.NewGuid()}/revoke", null)).ShouldBeProblemAsync(404, "device_not_found");
    }

    [Fact]
    public async Task Re_registration_after_revocation_yields_a_new_device_id_with_no_groups()
    {
        var (old, vault) = await _server.DeviceWithVaultAsync("laptop");
        using (var c = _server.Client(old.Token)) (await c.PostAsync("v1/me/revoke", null)).EnsureSuccessStatusCode();

        var again = await _server.RegisterAsync("laptop");
        again.DeviceId.ShouldNotBe(old.DeviceId);
        (await _server.ReachableVaultsAsync(again.Token)).ShouldNotContain(vault.VaultId);
        using var admin = _server.Admin();
        var oldView = await (await admin.GetAsync($"v1/devices/{old.DeviceId}")).ReadAsync<DeviceView>();
        oldView.RevokedAt.ShouldNotBeNull();
        var newView = await (await admin.GetAsync($"v1/devices/{again.DeviceId}")).ReadAsync<DeviceView>();
        newView.RevokedAt.ShouldBeNull();
        newView.Groups.ShouldBeEmpty();
    }

    [Fact]
    public async Task A_revoked_device_cannot_be_added_to_a_group_and_nothing_changes()
    {
        var device = await _server.RegisterAsync("revoked");
        using var admin = _server.Admin();
        (await admin.PostAsync($"v1/devices/{device.DeviceId}/revoke", null)).EnsureSuccessStatusCode();
        var group = Wire.NewGroup();
        var head = await _server.AuditHeadAsync();

        await (await admin.PutAsync($"v1/groups/{group}/devices/{device.DeviceId}", null)).ShouldBeProblemAsync(409, "device_is_revoked");

        (await _server.AuditHeadAsync()).ShouldBe(head);
        await (await admin.GetAsync($"v1/groups/{group}")).ShouldBeProblemAsync(404, "group_not_found");
    }
}
