using TinySync.Core.Contracts;
using TinySync.Server.Tests.Identity;
using TinySync.Server.Tests.Support;

namespace TinySync.Server.Tests.Management;

public sealed class AuditTests_Sqlite() : AuditTests(Backend.Sqlite);

public sealed class AuditTests_Postgres() : AuditTests(Backend.Postgres);

public abstract class AuditTests(Backend backend)
{
    [Fact]
    public async Task Every_management_change_is_recorded_with_action_and_target_and_no_op_puts_record_nothing()
    {
        await using var server = await TestServer.StartAsync(backend);
        using var admin = server.Admin();
        var device = await server.RegisterAsync("d");
        var vid = Guid.NewGuid();
        ((int)(await admin.PutAsync($"v1/vaults/{vid}", Json("""{"name":"one"}"""))).StatusCode).ShouldBe(201);
        await admin.PutAsync($"v1/vaults/{vid}", Json("""{"name":"one"}"""));                    // no-op
        await admin.PutAsync($"v1/vaults/{vid}", Json("""{"name":"two"}"""));
        await admin.PutAsync($"v1/vaults/{vid}/containers/notes", Json("""{"namespace":"scribe"}"""));
        await admin.PutAsync($"v1/vaults/{vid}/containers/notes", Json("""{"namespace":"scribe"}""")); // no-op
        await admin.PutAsync($"v1/vaults/{vid}/containers/notes", Json("""{"namespace":"scribe","policy":{"read_only":true}}"""));
        await admin.PutAsync("v1/groups/g1", Json("""{"name":"G"}"""));
        await admin.PutAsync("v1/groups/g1", Json("""{"name":"G"}"""));                          // no-op
        await admin.PutAsync("v1/groups/g1", Json("""{"name":"G","ecosystem":"e"}"""));
        await admin.PutAsync($"v1/groups/g1/devices/{device.DeviceId}", null);
        await admin.PutAsync($"v1/groups/g1/devices/{device.DeviceId}", null);                   // no-op
        await admin.PutAsync($"v1/groups/g1/vaults/{vid}", null);
        await admin.PutAsync($"v1/groups/g1/vaults/{vid}", null);                                // no-op
        await admin.DeleteAsync($"v1/groups/g1/vaults/{vid}");
        await admin.DeleteAsync($"v1/groups/g1/vaults/{vid}");                                   // no-op
        await admin.DeleteAsync($"v1/groups/g1/devices/{device.DeviceId}");
        await admin.PutAsync($"v1/groups/g2/devices/{device.DeviceId}", null);
        await admin.DeleteAsync("v1/groups/g2");
        await admin.DeleteAsync("v1/groups/g2");                                                 // no-op
        await admin.PostAsync($"v1/devices/{device.DeviceId}/revoke", null);
        await admin.PostAsync($"v1/devices/{device.DeviceId}/revoke", null);                     // no-op
        var posted = await (await admin.PostAsync("v1/vaults", Json("""{"name":"server id"}"""))).ReadAsync<VaultView>();

        var rows = await server.AuditAfterAsync(0);
        rows.Select(r => (r.Action, r.Target)).ShouldBe(
        [
            ("device.registered", $"device:{device.DeviceId}"),
            ("vault.created", $"vault:{vid}"),
            ("vault.renamed", $"vault:{vid}"),
            ("container.created", $"vault:{vid}/container:notes"),
            ("container.updated", $"vault:{vid}/container:notes"),
            ("group.created", "group:g1"),
            ("group.updated", "group:g1"),
            ("group.device_added", $"group:g1/device:{device.DeviceId}"),
            ("group.vault_added", $"group:g1/vault:{vid}"),
            ("group.vault_removed", $"group:g1/vault:{vid}"),
            ("group.device_removed", $"group:g1/device:{device.DeviceId}"),
            ("group.created", "group:g2"),
            ("group.device_added", $"group:g2/device:{device.DeviceId}"),
            ("group.deleted", "group:g2"),
            ("device.revoked", $"device:{device.DeviceId}"),
            ("vault.created", $"vault:{posted.VaultId}"),
        ]);
        rows.Select(r => r.Seq).ShouldBe(Enumerable.Range(1, rows.Count).Select(i => (long)i), "seq is dense from 1");
        rows.ShouldAllBe(r => r.At > DateTimeOffset.UtcNow.AddMinutes(-5) && r.At <= DateTimeOffset.UtcNow.AddSeconds(1));
        rows[2].Detail!.Value.GetProperty("from").GetString().ShouldBe("one");
        rows[2].Detail!.Value.GetProperty("to").GetString().ShouldBe("two");
    }

    [Fact]
    public async Task The_audit_record_pages_with_after_and_limit()
    {
        await using var server = await TestServer.StartAsync(backend);
        for (var i = 0; i < 5; i++) await server.CreateVaultAsync($"v{i}");
        using var admin = server.Admin();

        var page1 = await (await admin.GetAsync("v1/audit?limit=2")).ReadAsync<AuditPage>();
        page1.Entries.Select(e => e.Seq).ShouldBe([1L, 2L]);
        page1.HasMore.ShouldBeTrue();
        page1.Head.ShouldBe(5);
        var page2 = await (await admin.GetAsync($"v1/audit?after={page1.Entries[^1].Seq}&limit=2")).ReadAsync<AuditPage>();
        page2.Entries.Select(e => e.Seq).ShouldBe([3L, 4L]);
        var page3 = await (await admin.GetAsync("v1/audit?after=4&limit=2")).ReadAsync<AuditPage>();
        page3.Entries.Select(e => e.Seq).ShouldBe([5L]);
        page3.HasMore.ShouldBeFalse();
        var beyond = await (await admin.GetAsync("v1/audit?after=99")).ReadAsync<AuditPage>();
        beyond.Entries.ShouldBeEmpty();
        beyond.Head.ShouldBe(5);
        (await (await admin.GetAsync("v1/audit")).ReadAsync<AuditPage>()).Entries.Count.ShouldBe(5);

        foreach (var q in new[] { "after=-1", "after=x", "after=1.5", "limit=0", "limit=1001", "limit=-3", "limit=ten" })
            await (await admin.GetAsync($"v1/audit?{q}")).ShouldBeProblemAsync(400, "invalid_argument");
    }
}
