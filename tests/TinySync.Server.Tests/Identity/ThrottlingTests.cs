using System.Net.Http.Json;
using TinySync.Core.Contracts;
using TinySync.Core.Identity;
using TinySync.Core.Json;
using TinySync.Server.Tests.Support;

namespace TinySync.Server.Tests.Identity;

public sealed class ThrottlingTests_Sqlite() : ThrottlingTests(Backend.Sqlite);

public sealed class ThrottlingTests_Postgres() : ThrottlingTests(Backend.Postgres);

/// <summary>
/// Throttling (decision 0222): registration floods and token guessing get 429 with Retry-After and problem details,
/// from loopback too (no address is exempt), while a device presenting its valid token keeps working.
/// </summary>
public abstract class ThrottlingTests(Backend backend)
{
    Task<TestServer> StartAsync(int registrations = 1_000_000, int perAddress = 1_000_000, int perDevice = 1_000_000) =>
        TestServer.StartAsync(backend, s =>
        {
            s["TINYSYNC_REGISTRATIONS_PER_MINUTE"] = registrations.ToString(System.Globalization.CultureInfo.InvariantCulture);
            s["TINYSYNC_AUTH_FAILURES_PER_ADDRESS_PER_MINUTE"] = perAddress.ToString(System.Globalization.CultureInfo.InvariantCulture);
            s["TINYSYNC_AUTH_FAILURES_PER_DEVICE_PER_MINUTE"] = perDevice.ToString(System.Globalization.CultureInfo.InvariantCulture);
        });

    static async Task<Problem> ShouldBeThrottledAsync(HttpResponseMessage response)
    {
        var problem = await response.ShouldBeProblemAsync(429, ProblemCodes.TooManyRequests);
        var retryAfter = response.Headers.RetryAfter?.Delta;
        retryAfter.ShouldNotBeNull("429 carries Retry-After in seconds");
        retryAfter.Value.TotalSeconds.ShouldBeInRange(1, 60);
        return problem;
    }

    [Fact]
    public async Task An_open_registration_flood_gets_429_with_retry_after_while_the_admin_token_keeps_registering()
    {
        await using var server = await StartAsync(registrations: 5);
        using var anonymous = server.Client();
        for (var i = 0; i < 5; i++)
            ((int)(await anonymous.PostAsJsonAsync("v1/devices", new RegisterDeviceRequest($"d{i}"), TinySyncJson.Options)).StatusCode).ShouldBe(201);
        var flooded = await anonymous.PostAsJsonAsync("v1/devices", new RegisterDeviceRequest("one too many"), TinySyncJson.Options);
        (await ShouldBeThrottledAsync(flooded)).Detail!.ShouldContain("Platform Service");

        using var admin = server.Admin();
        for (var i = 0; i < 10; i++)
            ((int)(await admin.PostAsJsonAsync("v1/devices", new RegisterDeviceRequest($"fleet {i}"), TinySyncJson.Options)).StatusCode)
                .ShouldBe(201, "a Platform Service registering its fleet with the admin token is not throttled");
        server.LogText.ShouldContain("Throttled POST /v1/devices from 127.0.0.1");
    }

    [Fact]
    public async Task Token_guessing_from_one_address_gets_429_while_a_valid_device_on_the_same_address_keeps_working()
    {
        await using var server = await StartAsync(perAddress: 10);
        var (device, vault) = await server.DeviceWithVaultAsync("valid");
        using var valid = server.Client(device.Token);
        using var guesser = server.Client(DeviceToken.Generate(Guid.NewGuid()).Reveal());
        var statuses = new List<int>();
        for (var i = 0; i < 30; i++)
        {
            var guess = await guesser.GetAsync("v1/me");
            statuses.Add((int)guess.StatusCode);
            if (guess.StatusCode == System.Net.HttpStatusCode.TooManyRequests) await ShouldBeThrottledAsync(guess);
            // The valid device between every guess, from the same loopback address.
            ((int)(await valid.GetAsync($"v1/vaults/{vault.VaultId}/log")).StatusCode).ShouldBe(200, $"after {i + 1} guesses");
        }
        statuses.Take(10).ShouldAllBe(s => s == 401);
        statuses.Skip(10).ShouldAllBe(s => s == 429);
    }

    [Fact]
    public async Task Failures_naming_one_device_are_throttled_but_that_device_with_its_valid_token_is_never_locked_out()
    {
        await using var server = await StartAsync(perDevice: 3);
        var (device, _) = await server.DeviceWithVaultAsync("targeted");
        var wrongSecret = DeviceToken.Generate(device.DeviceId).Reveal(); // its id, another secret
        using var attacker = server.Client(wrongSecret);
        using var owner = server.Client(device.Token);
        for (var i = 0; i < 3; i++) await (await attacker.GetAsync("v1/me")).ShouldBeProblemAsync(401, ProblemCodes.InvalidToken);
        await ShouldBeThrottledAsync(await attacker.GetAsync("v1/me"));
        ((int)(await owner.GetAsync("v1/me")).StatusCode).ShouldBe(200);

        // Another device's failures are counted for that device only.
        var other = await server.RegisterAsync("bystander");
        using var otherWrong = server.Client(DeviceToken.Generate(other.DeviceId).Reveal());
        await (await otherWrong.GetAsync("v1/me")).ShouldBeProblemAsync(401, ProblemCodes.InvalidToken);
    }

    [Fact]
    public async Task Limits_are_settings_and_a_bad_value_stops_the_server_with_the_setting_named()
    {
        var e = await Should.ThrowAsync<InvalidOperationException>(() => TestServer.StartAsync(backend, s => s["TINYSYNC_AUTH_FAILURES_PER_DEVICE_PER_MINUTE"] = "0"));
        e.Message.ShouldContain("TINYSYNC_AUTH_FAILURES_PER_DEVICE_PER_MINUTE");
    }
}
