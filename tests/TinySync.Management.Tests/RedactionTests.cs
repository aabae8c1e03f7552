using System.Net;
using TinySync.Core.Identity;
using TinySync.Management.Tests.Support;

namespace TinySync.Management.Tests;

/// <summary>The observer never sees a token: not the admin token, not a device token, not even the one registration returns.</summary>
public sealed class RedactionTests
{
    [Fact]
    public async Task Registration_token_reaches_the_caller_but_never_the_observer()
    {
        await using var server = await TestServer.StartAsync(s => s["TINYSYNC_OPEN_DEVICE_REGISTRATION"] = "false");
        var observer = new RecordingObserver();
        using var client = new TinySyncManagementClient(server.BaseAddress, server.AdminToken, new ManagementClientOptions { Observer = observer });

        var d = await client.RegisterDeviceAsync("laptop");
        var secret = d.Token[(DeviceToken.Prefix.Length + 37)..];
        await client.AddDeviceToGroupAsync("g", d.DeviceId);
        await client.GetDeviceAsync(d.DeviceId);
        await Should.ThrowAsync<TinySyncNotFoundException>(() => client.GetVaultAsync(Guid.NewGuid()));

        using (var http = server.Client(d.Token)) (await http.GetAsync("v1/me")).StatusCode.ShouldBe(HttpStatusCode.OK);

        var register = observer.Calls[0];
        register.Method.ShouldBe("POST");
        register.Path.ShouldBe("/v1/devices");
        register.Status.ShouldBe(201);
        register.RequestBody.ShouldBe("{\"display_name\":\"laptop\"}");
        register.ResponseBody.ShouldNotBeNull().ShouldContain(DeviceToken.Redact(d.DeviceId));
        register.Duration.ShouldBeGreaterThan(TimeSpan.Zero);

        observer.AllText.ShouldNotContain(secret);
        observer.AllText.ShouldNotContain(d.Token);
        observer.AllText.ShouldNotContain(server.AdminToken);
        observer.Calls.Count.ShouldBe(4);
    }

    [Fact]
    public async Task Tokens_echoed_in_any_body_or_error_are_redacted()
    {
        await using var server = await TestServer.StartAsync();
        var observer = new RecordingObserver();
        using var faults = new FaultHandler();
        var deviceToken = DeviceToken.Generate(Guid.NewGuid()).Reveal();
        faults.RespondWithoutForwarding(HttpStatusCode.BadRequest, body: $"{{\"code\":\"x\",\"detail\":\"bad {server.AdminToken} and {deviceToken}\"}}");
        using var client = new TinySyncManagementClient(new HttpClient(faults, false) { BaseAddress = server.BaseAddress }, server.AdminToken,
            new ManagementClientOptions { Observer = observer });

        await Should.ThrowAsync<TinySyncApiException>(() => client.PutGroupAsync("g", name: deviceToken));
        observer.AllText.ShouldNotContain(server.AdminToken);
        observer.AllText.ShouldNotContain(deviceToken);
        observer.AllText.ShouldContain(TinySyncManagementClient.RedactedAdminToken);
        client.Redact($"a {server.AdminToken} b").ShouldBe($"a {TinySyncManagementClient.RedactedAdminToken} b");
    }

    [Fact]
    public async Task A_failing_observer_never_costs_the_caller_the_answer()
    {
        await using var server = await TestServer.StartAsync();
        using var client = new TinySyncManagementClient(server.BaseAddress, server.AdminToken, new ManagementClientOptions { Observer = new ThrowingObserver() });
        (await client.RegisterDeviceAsync("kept")).Token.ShouldStartWith("tsdev_");
    }

    sealed class ThrowingObserver : IManagementCallObserver
    {
        public ValueTask OnCallAsync(ManagementCall call, CancellationToken cancellationToken) => throw new IOException("log disk full");
    }
}
