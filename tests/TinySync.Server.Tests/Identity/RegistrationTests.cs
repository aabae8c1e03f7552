using System.Net.Http.Json;
using TinySync.Core.Contracts;
using TinySync.Core.Identity;
using TinySync.Core.Json;
using TinySync.Server.Tests.Support;

namespace TinySync.Server.Tests.Identity;

public sealed class RegistrationTests_Sqlite() : RegistrationTests(Backend.Sqlite);

public sealed class RegistrationTests_Postgres() : RegistrationTests(Backend.Postgres);

public abstract class RegistrationTests(Backend backend)
{
    [Fact]
    public async Task Registration_returns_a_token_that_authenticates_the_new_device()
    {
        await using var server = await TestServer.StartAsync(backend);
        var device = await server.RegisterAsync("alice laptop");

        DeviceToken.Parse(device.Token).DeviceId.ShouldBe(device.DeviceId);
        using var c = server.Client(device.Token);
        var me = await c.GetFromJsonAsync<MeView>("v1/me", TinySyncJson.Options);
        me!.DeviceId.ShouldBe(device.DeviceId);
        me.DisplayName.ShouldBe("alice laptop");
        me.Vaults.ShouldBeEmpty("registration grants no vault access");
    }

    [Fact]
    public async Task The_raw_token_never_reaches_the_database_file_or_the_log()
    {
        await using var server = await TestServer.StartAsync(backend);
        var device = await server.RegisterAsync();
        var secret = device.Token[(DeviceToken.Prefix.Length + 37)..];
        using (var c = server.Client(device.Token)) (await c.GetAsync("v1/me")).EnsureSuccessStatusCode();
        await server.RestartAsync(); // checkpoint what is in the WAL

        (await server.DumpStorageAsync()).ShouldNotContain(secret, Case.Sensitive, "secret found in storage");
        server.LogText.ShouldNotContain(secret);
        server.LogText.ShouldContain($"tsdev_{device.DeviceId}_***");
    }
}
