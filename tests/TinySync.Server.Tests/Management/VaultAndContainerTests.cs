using TinySync.Core.Contracts;
using TinySync.Server.Tests.Identity;
using TinySync.Server.Tests.Support;

namespace TinySync.Server.Tests.Management;

public sealed class VaultAndContainerTests_Sqlite(SharedServer fixture) : VaultAndContainerTests(fixture), IClassFixture<SharedServer>;

public sealed class VaultAndContainerTests_Postgres(PostgresSharedServer fixture) : VaultAndContainerTests(fixture), IClassFixture<PostgresSharedServer>;

public abstract class VaultAndContainerTests(SharedServer fixture)
{
    readonly TestServer _server = fixture.Server;

    [Fact]
    public async Task Put_with_a_caller_chosen_uuid_creates_201_then_renames_200_with_one_audit_row()
    {
        var vid = Guid.NewGuid();
        using var admin = _server.Admin();
        var created = await admin.PutAsync($"v1/vaults/{vid}", Json("""{"name":"Team drive"}"""));
        ((int)created.StatusCode).ShouldBe(201);
        created.Headers.Location!.ToString().ShouldBe($"/v1/vaults/{vid}");
        var view = await created.ReadAsync<VaultView>();
        (view.VaultId, view.Name, view.Head).ShouldBe((vid, "Team drive", 0L));
        view.Containers.ShouldHaveSingleItem().ShouldBe(new ContainerView("default", "default", new ContainerPolicy(null, false)));

        var head = await _server.AuditHeadAsync();
        var same = await admin.PutAsync($"v1/vaults/{vid}", Json("""{"name":"Team drive"}"""));
        ((int)same.StatusCode).ShouldBe(200);
        (await _server.AuditHeadAsync()).ShouldBe(head, "a PUT that changes nothing records nothing");

        var renamed = await admin.PutAsync($"v1/vaults/{vid}", Json("""{"name":"Shared drive"}"""));
        ((int)renamed.StatusCode).ShouldBe(200);
        (await renamed.ReadAsync<VaultView>()).Name.ShouldBe("Shared drive");
        var row = (await _server.AuditAfterAsync(head)).ShouldHaveSingleItem();
        (row.Action, row.Target).ShouldBe(("vault.renamed", $"vault:{vid}"));
        (await (await admin.GetAsync($"v1/vaults/{vid}")).ReadAsync<VaultView>()).Name.ShouldBe("Shared drive");
    }

    [Fact]
    public async Task Post_creates_a_vault_with_a_server_chosen_id()
    {
        using var admin = _server.Admin();
        var r = await admin.PostAsync("v1/vaults", Json("""{"name":"n"}"""));
        ((int)r.StatusCode).ShouldBe(201);
        var v = await r.ReadAsync<VaultView>();
        v.VaultId.ShouldNotBe(Guid.Empty);
        r.Headers.Location!.ToString().ShouldBe($"/v1/vaults/{v.VaultId}");
        await (await admin.GetAsync($"v1/vaults/{Guid.NewGuid()}")).ShouldBeProblemAsync(404, "vault_not_found");
    }

    [Fact]
    public async Task Container_put_creates_201_updates_200_and_is_seen_by_devices_that_reach_the_vault()
    {
        var (device, vault) = await _server.DeviceWithVaultAsync("container reader");
        using var admin = _server.Admin();
        var path = $"v1/vaults/{vault.VaultId}/containers/scribe.attachments";

        var created = await admin.PutAsync(path, Json("""{"namespace":"scribe","policy":{"max_file_bytes":1048576,"read_only":false}}"""));
        ((int)created.StatusCode).ShouldBe(201);
        (await created.ReadAsync<ContainerView>()).ShouldBe(new ContainerView("scribe.attachments", "scribe", new ContainerPolicy(1048576, false)));

        var head = await _server.AuditHeadAsync();
        ((int)(await admin.PutAsync(path, Json("""{"namespace":"scribe","policy":{"max_file_bytes":1048576,"read_only":false}}"""))).StatusCode).ShouldBe(200);
        (await _server.AuditHeadAsync()).ShouldBe(head);

        var updated = await admin.PutAsync(path, Json("""{"namespace":"scribe","policy":{"read_only":true}}"""));
        ((int)updated.StatusCode).ShouldBe(200);
        (await updated.ReadAsync<ContainerView>()).Policy.ShouldBe(new ContainerPolicy(null, true));
        (await _server.AuditAfterAsync(head)).ShouldHaveSingleItem().Action.ShouldBe("container.updated");

        var noPolicy = await admin.PutAsync($"v1/vaults/{vault.VaultId}/containers/plain", Json("""{"namespace":"drive"}"""));
        (await noPolicy.ReadAsync<ContainerView>()).Policy.ShouldBe(new ContainerPolicy(null, false));

        using var d = _server.Client(device.Token);
        var me = await (await d.GetAsync("v1/me")).ReadAsync<MeView>();
        me.Vaults.ShouldHaveSingleItem().Containers.Select(c => c.Name).ShouldBe(["default", "plain", "scribe.attachments"]);
        (await (await admin.GetAsync($"v1/vaults/{vault.VaultId}")).ReadAsync<VaultView>()).Containers.Count.ShouldBe(3);
    }

    [Theory]
    [InlineData("Upper")]
    [InlineData("-leading-dash")]
    [InlineData(".dot")]
    [InlineData("has%20space")]
    [InlineData("sl%C3%A4sh")]
    [InlineData("a%2Fb")]
    [InlineData("x0123456789012345678901234567890123456789012345678901234567890123")]
    public async Task Invalid_container_names_are_400_and_change_nothing(string name)
    {
        var vault = await _server.CreateVaultAsync();
        var head = await _server.AuditHeadAsync();
        using var admin = _server.Admin();
        await (await admin.PutAsync($"v1/vaults/{vault.VaultId}/containers/{name}", Json("""{"namespace":"x"}""")))
            .ShouldBeProblemAsync(400, "invalid_container_name");
        (await _server.AuditHeadAsync()).ShouldBe(head);
    }

    [Fact]
    public async Task A_64_character_container_name_is_the_longest_accepted()
    {
        var vault = await _server.CreateVaultAsync();
        using var admin = _server.Admin();
        var name = "c" + new string('9', 63);
        ((int)(await admin.PutAsync($"v1/vaults/{vault.VaultId}/containers/{name}", Json("""{"namespace":"x"}"""))).StatusCode).ShouldBe(201);
    }

    [Fact]
    public async Task A_container_of_an_unknown_vault_is_404_and_changes_nothing()
    {
        var head = await _server.AuditHeadAsync();
        using var admin = _server.Admin();
        await (await admin.PutAsync($"v1/vaults/{Guid.NewGuid()}/containers/docs", Json("""{"namespace":"x"}""")))
            .ShouldBeProblemAsync(404, "vault_not_found");
        (await _server.AuditHeadAsync()).ShouldBe(head);
    }
}
