using TinySync.Core.Contracts;
using TinySync.Server.Tests.Support;

namespace TinySync.Server.Tests.Sync;

public sealed class AccessTests_Sqlite(ServerFixture fixture) : AccessTests(fixture), IClassFixture<ServerFixture>;

public sealed class AccessTests_Postgres(PostgresServerFixture fixture) : AccessTests(fixture), IClassFixture<PostgresServerFixture>;

public abstract class AccessTests(ServerFixture fixture)
{
    TestServer Server => fixture.Server;

    [Theory]
    [InlineData("GET", "log?after=0")]
    [InlineData("GET", "tree")]
    [InlineData("GET", "history?path=a")]
    [InlineData("GET", "deleted")]
    [InlineData("POST", "ops")]
    [InlineData("POST", "chunks/missing")]
    [InlineData("GET", "chunks/0000000000000000000000000000000000000000000000000000000000000000")]
    public async Task Unknown_and_unreachable_vaults_answer_the_same_404(string method, string route)
    {
        using var mine = await SyncClient.CreateAsync(Server, "me");
        using var theirs = await SyncClient.CreateAsync(Server, "them");
        async Task<Problem> Ask(Guid vault)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), $"v1/vaults/{vault}/{route}");
            if (method == "POST") request.Content = ProblemAssertions.Json(route == "ops" ? """{"ops":[]}""" : """{"hashes":[]}""");
            return await (await mine.Http.SendAsync(request)).ShouldBeProblemAsync(404, ProblemCodes.VaultNotFound);
        }
        var unreachable = await Ask(theirs.VaultId);
        var unknown = await Ask(Guid.NewGuid());
        unreachable.Detail!.Replace(theirs.VaultId.ToString(), "X").ShouldBe(unknown.Detail!.Replace(unknown.Detail!.Split(' ')[2], "X"));
    }

    [Fact]
    public async Task Sync_routes_need_a_device_token()
    {
        using var a = await SyncClient.CreateAsync(Server);
        using (var anonymous = Server.Client())
            await (await anonymous.GetAsync($"{a.Base}/log")).ShouldBeProblemAsync(401, ProblemCodes.MissingToken);
        using (var admin = Server.Admin())
            await (await admin.GetAsync($"{a.Base}/log")).ShouldBeProblemAsync(403, ProblemCodes.DeviceTokenRequired);
    }

    [Fact]
    public async Task Removing_the_group_edge_cuts_access_on_the_next_request()
    {
        var device = await Server.RegisterAsync("d");
        var vault = await Server.CreateVaultAsync("v");
        await Server.AddDeviceToGroupAsync("cut-me", device.DeviceId);
        await Server.AddVaultToGroupAsync("cut-me", vault.VaultId);
        using var c = new SyncClient(Server.Client(device.Token), vault.VaultId, device.DeviceId);
        await c.OkAsync(Ops.Mkdir("d"));
        using (var admin = Server.Admin()) (await admin.DeleteAsync($"v1/groups/cut-me/vaults/{vault.VaultId}")).EnsureSuccessStatusCode();
        await (await c.Http.GetAsync($"{c.Base}/log")).ShouldBeProblemAsync(404, ProblemCodes.VaultNotFound);
    }
}
