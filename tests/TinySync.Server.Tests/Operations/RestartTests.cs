using System.Net.Http.Headers;
using System.Net.Http.Json;
using TinySync.Core.Contracts;
using TinySync.Core.Json;
using TinySync.Server.Tests.Identity;
using TinySync.Server.Tests.Support;

namespace TinySync.Server.Tests.Operations;

/// <summary>A restart keeps every piece of state: devices and their tokens, revocations, vaults, containers, groups, edges, audit.</summary>
public class RestartTests
{
    sealed record State(DeviceRegistered Alice, DeviceRegistered Revoked, VaultView Vault, string Group, long AuditHead);

    static async Task<State> BuildStateAsync(HttpClient anonymous, HttpClient admin)
    {
        async Task<DeviceRegistered> Register(string name) =>
            await (await anonymous.PostAsync("v1/devices", Json($$"""{"display_name":"{{name}}"}"""))).ReadAsync<DeviceRegistered>();
        var alice = await Register("alice");
        var revoked = await Register("gone");
        var vault = await (await admin.PutAsync($"v1/vaults/{Guid.NewGuid()}", Json("""{"name":"kept"}"""))).ReadAsync<VaultView>();
        (await admin.PutAsync($"v1/vaults/{vault.VaultId}/containers/notes", Json("""{"namespace":"scribe","policy":{"read_only":true}}"""))).EnsureSuccessStatusCode();
        (await admin.PutAsync("v1/groups/team", Json("""{"name":"Team","ecosystem":"scribe"}"""))).EnsureSuccessStatusCode();
        (await admin.PutAsync($"v1/groups/team/devices/{alice.DeviceId}", null)).EnsureSuccessStatusCode();
        (await admin.PutAsync($"v1/groups/team/vaults/{vault.VaultId}", null)).EnsureSuccessStatusCode();
        (await admin.PostAsync($"v1/devices/{revoked.DeviceId}/revoke", null)).EnsureSuccessStatusCode();
        var head = (await admin.GetFromJsonAsync<AuditPage>("v1/audit?after=1000000&limit=1", TinySyncJson.Options))!.Head;
        return new State(alice, revoked, vault, "team", head);
    }

    static async Task VerifyStateAsync(Func<string?, HttpClient> client, string adminToken, State s)
    {
        using (var alice = client(s.Alice.Token))
        {
            var me = await (await alice.GetAsync("v1/me")).ReadAsync<MeView>();
            me.DeviceId.ShouldBe(s.Alice.DeviceId);
            me.Groups.ShouldBe([s.Group]);
            var v = me.Vaults.ShouldHaveSingleItem();
            (v.VaultId, v.Name).ShouldBe((s.Vault.VaultId, "kept"));
            v.Containers.ShouldContain(new ContainerView("notes", "scribe", new ContainerPolicy(null, true)));
        }
        using (var revoked = client(s.Revoked.Token))
            await (await revoked.GetAsync("v1/me")).ShouldBeProblemAsync(401, "device_revoked");
        using var admin = client(adminToken);
        var group = await (await admin.GetAsync($"v1/groups/{s.Group}")).ReadAsync<GroupView>();
        (group.Name, group.Ecosystem).ShouldBe(("Team", "scribe"));
        group.Devices.ShouldBe([s.Alice.DeviceId]);
        group.Vaults.ShouldBe([s.Vault.VaultId]);
        (await (await admin.GetAsync($"v1/devices/{s.Revoked.DeviceId}")).ReadAsync<DeviceView>()).RevokedAt.ShouldNotBeNull();
        var audit = await (await admin.GetAsync("v1/audit?limit=1000")).ReadAsync<AuditPage>();
        audit.Head.ShouldBe(s.AuditHead);
        audit.Entries.Count.ShouldBe((int)s.AuditHead);
        // and the server keeps working: the next change continues the audit sequence
        (await admin.PutAsync($"v1/groups/{Wire.NewGroup()}", null)).EnsureSuccessStatusCode();
        (await (await admin.GetAsync($"v1/audit?after={s.AuditHead}")).ReadAsync<AuditPage>()).Entries.ShouldHaveSingleItem().Seq.ShouldBe(s.AuditHead + 1);
    }

    [Fact]
    public async Task An_in_process_restart_keeps_all_state()
    {
        await using var server = await TestServer.StartAsync();
        State state;
        using (var anonymous = server.Client())
        using (var admin = server.Admin())
            state = await BuildStateAsync(anonymous, admin);
        await server.RestartAsync();
        await VerifyStateAsync(server.Client, server.AdminToken, state);
    }

    [Fact]
    public async Task A_killed_server_process_restarts_with_all_state_and_the_generated_admin_token()
    {
        using var dir = new TempDir();
        var env = new Dictionary<string, string> { ["TINYSYNC_ADMIN_TOKEN"] = "" }; // empty = generate into the data dir
        await using var process = new ServerProcess(dir.Sub("data"), env);
        await process.StartAsync();
        var tokenFile = Path.Combine(process.DataDir, "admin-token");
        var adminToken = (await File.ReadAllTextAsync(tokenFile)).Trim();
        HttpClient Client(string? bearer)
        {
            var c = new HttpClient { BaseAddress = process.BaseAddress };
            if (bearer is not null) c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
            return c;
        }
        State state;
        using (var anonymous = Client(null))
        using (var admin = Client(adminToken))
            state = await BuildStateAsync(anonymous, admin);

        process.Kill(); // SIGKILL: every acknowledged change must already be durable
        await process.StartAsync();
        (await File.ReadAllTextAsync(tokenFile)).Trim().ShouldBe(adminToken);
        await VerifyStateAsync(Client, adminToken, state);

        process.Output.ShouldContain(tokenFile);
        process.Output.ShouldNotContain(adminToken);
        process.Output.ShouldNotContain(state.Alice.Token[43..]);
    }

    [Fact]
    public async Task The_real_process_honours_TINYSYNC_OPEN_DEVICE_REGISTRATION_false_from_the_environment()
    {
        using var dir = new TempDir();
        await using var process = new ServerProcess(dir.Sub("data"), new() { ["TINYSYNC_OPEN_DEVICE_REGISTRATION"] = "false" });
        await process.StartAsync();
        using var anonymous = new HttpClient { BaseAddress = process.BaseAddress };
        await (await anonymous.PostAsync("v1/devices", Json("""{"display_name":"x"}"""))).ShouldBeProblemAsync(401, "registration_closed");
        using var admin = new HttpClient { BaseAddress = process.BaseAddress };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestServer.AdminTokenValue);
        ((int)(await admin.PostAsync("v1/devices", Json("""{"display_name":"x"}"""))).StatusCode).ShouldBe(201);
    }
}
