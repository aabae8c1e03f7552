using System.Net;
using System.Net.Http.Json;
using TinySync.Core.Contracts;
using TinySync.Management.Tests.Support;

namespace TinySync.Management.Tests;

/// <summary>Every management call against a real server on a loopback port.</summary>
public sealed class ManagementClientTests : IAsyncLifetime
{
    TestServer _server = null!;
    TinySyncManagementClient _client = null!;
    readonly RecordingObserver _observer = new();

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync();
        _client = new TinySyncManagementClient(_server.BaseAddress, _server.AdminToken, new ManagementClientOptions { Observer = _observer });
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Devices_register_list_page_get_and_revoke()
    {
        var a = await _client.RegisterDeviceAsync("Ada's laptop");
        var b = await _client.RegisterDeviceAsync("Ada's phone");
        a.Token.ShouldStartWith($"tsdev_{a.DeviceId:D}_");
        a.DisplayName.ShouldBe("Ada's laptop");

        var first = await _client.ListDevicesAsync(limit: 1);
        first.Devices.Count.ShouldBe(1);
        first.Next.ShouldNotBeNull();
        var all = new List<DeviceView>();
        await foreach (var d in _client.ListAllDevicesAsync(pageSize: 1)) all.Add(d);
        all.Select(d => d.DeviceId).ShouldBe([a.DeviceId, b.DeviceId], ignoreOrder: true);

        var got = await _client.GetDeviceAsync(a.DeviceId);
        got.RevokedAt.ShouldBeNull();
        var revoked = await _client.RevokeDeviceAsync(a.DeviceId);
        revoked.RevokedAt.ShouldNotBeNull();
        (await _client.RevokeDeviceAsync(a.DeviceId)).RevokedAt.ShouldBe(revoked.RevokedAt, "revoke is idempotent");

        using var device = _server.Client(a.Token);
        (await device.GetAsync("v1/me")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Vaults_create_put_list_get_and_container()
    {
        var created = await _client.CreateVaultAsync("Team docs");
        created.Name.ShouldBe("Team docs");
        created.Containers.ShouldContain(c => c.Name == "default");

        var chosen = Guid.NewGuid();
        (await _client.PutVaultAsync(chosen, "first name")).VaultId.ShouldBe(chosen);
        (await _client.PutVaultAsync(chosen, "renamed")).Name.ShouldBe("renamed");

        var container = await _client.PutContainerAsync(chosen, "scribe-notes", "scribe", new ContainerPolicy(MaxFileBytes: 1024, ReadOnly: false));
        container.Policy.MaxFileBytes.ShouldBe(1024);

        var vault = await _client.GetVaultAsync(chosen);
        vault.Containers.Select(c => c.Name).ShouldContain("scribe-notes");
        vault.Head.ShouldBe(0);

        var all = new List<VaultView>();
        await foreach (var v in _client.ListAllVaultsAsync(pageSize: 1)) all.Add(v);
        all.Select(v => v.VaultId).ShouldBe([created.VaultId, chosen], ignoreOrder: true);
        (await _client.ListVaultsAsync(limit: 1)).Vaults.Count.ShouldBe(1);
    }

    [Fact]
    public async Task Groups_metadata_edges_list_and_delete()
    {
        var device = await _client.RegisterDeviceAsync("laptop");
        var vault = await _client.PutVaultAsync(Guid.NewGuid(), "ws vault");

        var group = await _client.PutGroupAsync("ws:acme", "Acme workspace", "playground");
        group.Name.ShouldBe("Acme workspace");
        group.Ecosystem.ShouldBe("playground");

        (await _client.AddDeviceToGroupAsync("ws:acme", device.DeviceId)).Created.ShouldBeTrue();
        (await _client.AddDeviceToGroupAsync("ws:acme", device.DeviceId)).Created.ShouldBeFalse("PUT twice = once");
        (await _client.AddVaultToGroupAsync("ws:acme", vault.VaultId)).Created.ShouldBeTrue();
        _observer.Calls.ShouldContain(c => c.Method == "PUT" && c.Path == $"/v1/groups/ws:acme/devices/{device.DeviceId:D}" && c.Status == 200);

        var got = await _client.GetGroupAsync("ws:acme");
        got.Devices.ShouldBe([device.DeviceId]);
        got.Vaults.ShouldBe([vault.VaultId]);
        (await _client.GetDeviceAsync(device.DeviceId)).Groups.ShouldBe(["ws:acme"]);

        using (var http = _server.Client(device.Token))
        {
            var me = await http.GetFromJsonAsync<MeView>("v1/me", TinySync.Core.Json.TinySyncJson.Options);
            me!.Vaults.Select(v => v.VaultId).ShouldBe([vault.VaultId]);
        }

        await _client.RemoveDeviceFromGroupAsync("ws:acme", device.DeviceId);
        await _client.RemoveDeviceFromGroupAsync("ws:acme", device.DeviceId); // missing edge = success
        await _client.RemoveVaultFromGroupAsync("ws:acme", vault.VaultId);
        got = await _client.GetGroupAsync("ws:acme");
        got.Devices.ShouldBeEmpty();
        got.Vaults.ShouldBeEmpty();

        await _client.PutGroupAsync("ws:other");
        var groups = new List<GroupView>();
        await foreach (var g in _client.ListAllGroupsAsync(pageSize: 1)) groups.Add(g);
        groups.Select(g => g.GroupId).ShouldBe(["ws:acme", "ws:other"], ignoreOrder: true);
        (await _client.ListGroupsAsync(limit: 1)).Groups.Count.ShouldBe(1);

        await _client.DeleteGroupAsync("ws:acme");
        await _client.DeleteGroupAsync("ws:acme"); // already gone = success
        await Should.ThrowAsync<TinySyncNotFoundException>(() => _client.GetGroupAsync("ws:acme"));
    }

    [Fact]
    public async Task Audit_reads_after_a_cursor()
    {
        var vault = await _client.PutVaultAsync(Guid.NewGuid(), "audited");
        await _client.AddVaultToGroupAsync("g1", vault.VaultId);
        var page = await _client.ReadAuditAsync();
        page.Entries.ShouldNotBeEmpty();
        page.Head.ShouldBe(page.Entries[^1].Seq);
        (await _client.ReadAuditAsync(after: page.Head)).Entries.ShouldBeEmpty();
        (await _client.ReadAuditAsync(after: 0, limit: 1)).Entries.Count.ShouldBe(1);
    }

    [Fact]
    public async Task Unknown_device_is_a_typed_not_found_with_code_detail_and_trace_id()
    {
        var e = await Should.ThrowAsync<TinySyncNotFoundException>(() => _client.GetDeviceAsync(Guid.NewGuid()));
        e.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        e.Code.ShouldBe(ProblemCodes.DeviceNotFound);
        e.Detail.ShouldNotBeNullOrWhiteSpace();
        e.TraceId.ShouldNotBeNullOrWhiteSpace();
        e.IsTransient.ShouldBeFalse();
        (await Should.ThrowAsync<TinySyncNotFoundException>(() => _client.AddVaultToGroupAsync("g", Guid.NewGuid()))).Code.ShouldBe(ProblemCodes.VaultNotFound);
        (await Should.ThrowAsync<TinySyncNotFoundException>(() => _client.AddDeviceToGroupAsync("g", Guid.NewGuid()))).Code.ShouldBe(ProblemCodes.DeviceNotFound);
    }

    [Fact]
    public async Task Adding_a_revoked_device_is_a_typed_conflict()
    {
        var d = await _client.RegisterDeviceAsync("old");
        await _client.RevokeDeviceAsync(d.DeviceId);
        var e = await Should.ThrowAsync<TinySyncConflictException>(() => _client.AddDeviceToGroupAsync("g", d.DeviceId));
        e.Code.ShouldBe(ProblemCodes.DeviceIsRevoked);
    }

    [Fact]
    public async Task Wrong_admin_token_is_a_typed_unauthorized()
    {
        using var wrong = new TinySyncManagementClient(_server.BaseAddress, "not-the-admin-token");
        var e = await Should.ThrowAsync<TinySyncUnauthorizedException>(() => wrong.ListGroupsAsync());
        e.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        e.Code.ShouldNotBeNullOrWhiteSpace();
    }

    [Fact]
    public async Task Bad_input_is_a_typed_bad_request()
    {
        var e = await Should.ThrowAsync<TinySyncApiException>(() => _client.PutGroupAsync("no spaces allowed"));
        e.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        e.Code.ShouldBe(ProblemCodes.InvalidGroupId);
    }

    [Fact]
    public async Task Cancellation_is_honoured()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Should.ThrowAsync<OperationCanceledException>(() => _client.ListDevicesAsync(cancellationToken: cts.Token));
    }
}

/// <summary>Registration when the server runs with <c>TINYSYNC_OPEN_DEVICE_REGISTRATION=false</c>.</summary>
public sealed class ClosedRegistrationTests
{
    [Fact]
    public async Task Registration_needs_the_admin_token_when_closed()
    {
        await using var server = await TestServer.StartAsync(s => s["TINYSYNC_OPEN_DEVICE_REGISTRATION"] = "false");
        using var anonymous = new TinySyncManagementClient(server.BaseAddress, adminToken: null);
        var e = await Should.ThrowAsync<TinySyncUnauthorizedException>(() => anonymous.RegisterDeviceAsync("x"));
        e.Code.ShouldBe(ProblemCodes.RegistrationClosed);

        using var admin = new TinySyncManagementClient(server.BaseAddress, server.AdminToken);
        var d = await admin.RegisterDeviceAsync("mediated");
        using var http = server.Client(d.Token);
        (await http.GetAsync("v1/me")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}
