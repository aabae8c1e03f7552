using TinySync.Core.Contracts;
using TinySync.Server.Tests.Support;

namespace TinySync.Server.Tests.Identity;

/// <summary>
/// Seed 001 §05 as a matrix over every (device, vault) pair: Alice's MacBook is in Engineering and All-Access,
/// Carol's only in Engineering, Bob's only in All-Access. Engineering reaches the engineering vaults and the
/// company drive; All-Access reaches the company drive. A device outside every group and a vault outside every
/// group complete the matrix.
/// </summary>
public sealed class AuthorizationMatrixTests_Sqlite(SharedServer fixture) : AuthorizationMatrixTests(fixture), IClassFixture<SharedServer>;

public sealed class AuthorizationMatrixTests_Postgres(PostgresSharedServer fixture) : AuthorizationMatrixTests(fixture), IClassFixture<PostgresSharedServer>;

public abstract class AuthorizationMatrixTests(SharedServer fixture)
{
    readonly TestServer _server = fixture.Server;

    [Fact]
    public async Task Every_device_reaches_exactly_the_union_of_its_groups_vaults()
    {
        var engineering = Wire.NewGroup("engineering");
        var allAccess = Wire.NewGroup("all-access");
        var alice = await _server.RegisterAsync("Alice's MacBook");
        var carol = await _server.RegisterAsync("Carol's MacBook");
        var bob = await _server.RegisterAsync("Bob's MacBook");
        var dave = await _server.RegisterAsync("Dave's MacBook (in no group)");
        var engCode = await _server.CreateVaultAsync("Engineering code");
        var engDocs = await _server.CreateVaultAsync("Engineering docs");
        var drive = await _server.CreateVaultAsync("Company drive");
        var secret = await _server.CreateVaultAsync("Board (in no group)");

        await _server.AddDeviceToGroupAsync(engineering, alice.DeviceId);
        await _server.AddDeviceToGroupAsync(allAccess, alice.DeviceId);
        await _server.AddDeviceToGroupAsync(engineering, carol.DeviceId);
        await _server.AddDeviceToGroupAsync(allAccess, bob.DeviceId);
        await _server.AddVaultToGroupAsync(engineering, engCode.VaultId);
        await _server.AddVaultToGroupAsync(engineering, engDocs.VaultId);
        await _server.AddVaultToGroupAsync(engineering, drive.VaultId);
        await _server.AddVaultToGroupAsync(allAccess, drive.VaultId);

        var devices = new[] { alice, carol, bob, dave };
        var vaults = new[] { engCode, engDocs, drive, secret };
        var expected = new Dictionary<Guid, Guid[]>
        {
            [alice.DeviceId] = [engCode.VaultId, engDocs.VaultId, drive.VaultId],
            [carol.DeviceId] = [engCode.VaultId, engDocs.VaultId, drive.VaultId],
            [bob.DeviceId] = [drive.VaultId],
            [dave.DeviceId] = [],
        };
        foreach (var d in devices)
        {
            var reached = await _server.ReachableVaultsAsync(d.Token);
            using var c = _server.Client(d.Token);
            foreach (var v in vaults)
            {
                var reachable = expected[d.DeviceId].Contains(v.VaultId);
                reached.Contains(v.VaultId).ShouldBe(reachable, $"GET /v1/me: {d.DisplayName} -> {v.Name}");
                // a device route that touches the vault: 200 when reachable, otherwise 404 (never 403)
                var log = await c.GetAsync($"v1/vaults/{v.VaultId}/log");
                if (reachable) ((int)log.StatusCode).ShouldBe(200, $"log: {d.DisplayName} -> {v.Name}");
                else await log.ShouldBeProblemAsync(404, "vault_not_found");
            }
            // a vault that does not exist answers exactly like one that exists but is out of reach
            await (await c.GetAsync($"v1/vaults/{Guid.NewGuid()}/log")).ShouldBeProblemAsync(404, "vault_not_found");
        }

        using var a = _server.Client(alice.Token);
        var me = await (await a.GetAsync("v1/me")).ReadAsync<MeView>();
        me.Groups.ShouldBe(new[] { allAccess, engineering }.Order(StringComparer.Ordinal).ToArray());
        me.Vaults.Count.ShouldBe(3, "a vault reached through two groups is listed once");
        me.Vaults.ShouldAllBe(v => v.Containers.Any(c => c.Name == "default"));
    }

    [Fact]
    public async Task Union_of_two_groups_reaches_both_of_their_vaults_and_there_is_no_deny()
    {
        var g1 = Wire.NewGroup();
        var g2 = Wire.NewGroup();
        var device = await _server.RegisterAsync();
        var v1 = await _server.CreateVaultAsync("v1");
        var v2 = await _server.CreateVaultAsync("v2");
        await _server.AddVaultToGroupAsync(g1, v1.VaultId);
        await _server.AddVaultToGroupAsync(g2, v2.VaultId);
        await _server.AddDeviceToGroupAsync(g1, device.DeviceId);
        (await _server.ReachableVaultsAsync(device.Token)).ShouldBe([v1.VaultId]);
        await _server.AddDeviceToGroupAsync(g2, device.DeviceId);
        (await _server.ReachableVaultsAsync(device.Token)).ShouldBe([v1.VaultId, v2.VaultId], ignoreOrder: true);
    }

    [Fact]
    public async Task Removing_access_turns_the_vault_log_from_200_into_404_on_the_next_request()
    {
        var (device, vault) = await _server.DeviceWithVaultAsync("loses access");
        using var c = _server.Client(device.Token);
        ((int)(await c.GetAsync($"v1/vaults/{vault.VaultId}/log")).StatusCode).ShouldBe(200);
        using var admin = _server.Admin();
        var group = (await (await admin.GetAsync($"v1/devices/{device.DeviceId}")).ReadAsync<DeviceView>()).Groups.ShouldHaveSingleItem();
        ((int)(await admin.DeleteAsync($"v1/groups/{group}/vaults/{vault.VaultId}")).StatusCode).ShouldBe(204);
        await (await c.GetAsync($"v1/vaults/{vault.VaultId}/log")).ShouldBeProblemAsync(404, "vault_not_found");
        await (await admin.GetAsync($"v1/vaults/{vault.VaultId}/log")).ShouldBeProblemAsync(403, "device_token_required");
    }

    [Fact]
    public async Task A_device_token_on_a_vault_route_answers_alike_for_a_reachable_an_unreachable_and_a_nonexistent_vault()
    {
        // The admin vault route must not tell a device which vault ids exist either.
        var (device, vault) = await _server.DeviceWithVaultAsync("prober");
        var other = await _server.CreateVaultAsync("not reachable");
        using var c = _server.Client(device.Token);
        foreach (var vid in new[] { vault.VaultId, other.VaultId, Guid.NewGuid() })
        {
            var r = await c.GetAsync($"v1/vaults/{vid}");
            await r.ShouldBeProblemAsync(403, "admin_token_required");
        }
    }
}
