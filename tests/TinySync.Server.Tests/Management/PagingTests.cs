using TinySync.Core.Contracts;
using TinySync.Server.Tests.Identity;
using TinySync.Server.Tests.Support;

namespace TinySync.Server.Tests.Management;

/// <summary>GET /v1/devices, /v1/vaults and /v1/groups page by id with <c>after</c>, <c>limit</c> and <c>next</c>.</summary>
public sealed class PagingTests_Sqlite(SharedServer fixture) : PagingTests(fixture), IClassFixture<SharedServer>;

public sealed class PagingTests_Postgres(PostgresSharedServer fixture) : PagingTests(fixture), IClassFixture<PostgresSharedServer>;

public abstract class PagingTests(SharedServer fixture)
{
    // the bad-parameter cases create nothing, so the one listing test sees exactly its own rows
    readonly TestServer _shared = fixture.Server;

    [Fact]
    public async Task Devices_vaults_and_groups_page_in_id_order_without_gaps_or_repeats()
    {
        var server = _shared;
        var devices = new List<Guid>();
        var vaults = new List<Guid>();
        var groups = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var d = await server.RegisterAsync($"d{i}");
            devices.Add(d.DeviceId);
            vaults.Add((await server.CreateVaultAsync($"v{i}")).VaultId);
            groups.Add($"grp-{i}");
            await server.AddDeviceToGroupAsync($"grp-{i}", d.DeviceId);
        }
        using var admin = server.Admin();

        var seenDevices = new List<DeviceView>();
        string? after = null;
        var pages = 0;
        do
        {
            var page = await (await admin.GetAsync($"v1/devices?limit=2{(after is null ? "" : $"&after={after}")}")).ReadAsync<DevicePage>();
            page.Devices.Count.ShouldBeLessThanOrEqualTo(2);
            seenDevices.AddRange(page.Devices);
            after = page.Next?.ToString();
            pages++;
        } while (after is not null);
        pages.ShouldBe(3);
        seenDevices.Select(d => d.DeviceId).ShouldBe(devices.OrderBy(d => d.ToString(), StringComparer.Ordinal));
        seenDevices.ShouldAllBe(d => d.Groups.Count == 1, "each listed device carries its groups");

        var seenVaults = new List<VaultView>();
        after = null;
        do
        {
            var page = await (await admin.GetAsync($"v1/vaults?limit=2{(after is null ? "" : $"&after={after}")}")).ReadAsync<VaultList>();
            seenVaults.AddRange(page.Vaults);
            after = page.Next?.ToString();
        } while (after is not null);
        seenVaults.Select(v => v.VaultId).ShouldBe(vaults.OrderBy(v => v.ToString(), StringComparer.Ordinal));
        seenVaults.ShouldAllBe(v => v.Containers.Count == 1 && v.Containers[0].Name == "default");

        var seenGroups = new List<GroupView>();
        after = null;
        do
        {
            var page = await (await admin.GetAsync($"v1/groups?limit=2{(after is null ? "" : $"&after={after}")}")).ReadAsync<GroupList>();
            seenGroups.AddRange(page.Groups);
            after = page.Next;
        } while (after is not null);
        seenGroups.Select(g => g.GroupId).ShouldBe(groups);
        seenGroups.ShouldAllBe(g => g.Devices.Count == 1);

        // exactly one full page: no `next`
        (await (await admin.GetAsync("v1/devices?limit=5")).ReadAsync<DevicePage>()).Next.ShouldBeNull();
        (await (await admin.GetAsync("v1/groups?limit=1000")).ReadAsync<GroupList>()).Next.ShouldBeNull();
        (await (await admin.GetAsync($"v1/vaults?after={seenVaults[^1].VaultId}")).ReadAsync<VaultList>()).Vaults.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("v1/devices?limit=0", "invalid_argument")]
    [InlineData("v1/devices?limit=1001", "invalid_argument")]
    [InlineData("v1/devices?after=not-a-uuid", "invalid_id")]
    [InlineData("v1/vaults?limit=x", "invalid_argument")]
    [InlineData("v1/vaults?after=123", "invalid_id")]
    [InlineData("v1/groups?limit=-1", "invalid_argument")]
    [InlineData("v1/groups?after=has%20space", "invalid_group_id")]
    public async Task Bad_paging_parameters_are_400_problems(string path, string code)
    {
        using var admin = _shared.Admin();
        await (await admin.GetAsync(path)).ShouldBeProblemAsync(400, code);
    }
}
