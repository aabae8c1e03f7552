using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using TinySync.Management.Tests.Support;

namespace TinySync.Management.Tests;

/// <summary>Transient failures are retried for idempotent calls only; non-idempotent calls never run twice.</summary>
public sealed class RetryTests : IAsyncLifetime
{
    TestServer _server = null!;
    readonly RecordingObserver _observer = new();
    readonly FaultHandler _faults = new();

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();

    public async Task DisposeAsync()
    {
        _faults.Dispose();
        await _server.DisposeAsync();
    }

    TinySyncManagementClient Client(int retries = 3) =>
        new(new HttpClient(_faults, disposeHandler: false) { BaseAddress = _server.BaseAddress }, _server.AdminToken,
            new ManagementClientOptions { Observer = _observer, MaxRetryAttempts = retries, RetryBaseDelay = TimeSpan.FromMilliseconds(10) });

    [Fact]
    public async Task Idempotent_call_is_retried_on_503_until_it_succeeds()
    {
        using var client = Client();
        _faults.RespondWithoutForwarding(HttpStatusCode.ServiceUnavailable).RespondWithoutForwarding(HttpStatusCode.BadGateway);
        var group = await client.PutGroupAsync("g-retry", "retried");
        group.Name.ShouldBe("retried");
        _observer.Calls.Select(c => (c.Attempt, c.Status)).ShouldBe([(1, (int?)503), (2, 502), (3, 201)]);
    }

    [Fact]
    public async Task Retries_are_limited_and_end_in_a_transient_typed_error()
    {
        using var client = Client(retries: 2);
        for (var i = 0; i < 5; i++) _faults.RespondWithoutForwarding(HttpStatusCode.ServiceUnavailable);
        var e = await Should.ThrowAsync<TinySyncApiException>(() => client.ListGroupsAsync());
        e.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        e.IsTransient.ShouldBeTrue();
        _faults.Requests.ShouldBe(3);
    }

    [Fact]
    public async Task Status_429_waits_for_Retry_After()
    {
        using var client = Client();
        _faults.RespondWithoutForwarding(HttpStatusCode.TooManyRequests, retryAfter: TimeSpan.FromSeconds(1));
        var sw = Stopwatch.StartNew();
        await client.ListDevicesAsync();
        sw.Elapsed.ShouldBeGreaterThan(TimeSpan.FromMilliseconds(900));
        _faults.Requests.ShouldBe(2);
    }

    [Fact]
    public async Task Network_error_on_an_idempotent_call_is_retried()
    {
        using var client = Client();
        _faults.ResetAfterSending().FailConnection();
        (await client.PutVaultAsync(Guid.NewGuid(), "v")).Name.ShouldBe("v");
        _observer.Calls.Count.ShouldBe(3);
        _observer.Calls[0].Status.ShouldBeNull();
        _observer.Calls[0].Error.ShouldNotBeNull().ShouldContain("injected");
    }

    [Fact]
    public async Task Registration_is_not_retried_after_it_may_have_reached_the_server()
    {
        using var client = Client();
        _faults.ForwardThenRespond(HttpStatusCode.ServiceUnavailable);
        var e = await Should.ThrowAsync<TinySyncApiException>(() => client.RegisterDeviceAsync("once"));
        e.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        _faults.Requests.ShouldBe(1);
        using var admin = new TinySyncManagementClient(_server.BaseAddress, _server.AdminToken);
        (await admin.ListDevicesAsync()).Devices.Count.ShouldBe(1, "exactly one device registered, never a duplicate");

        _faults.ResetAfterSending();
        var lost = await Should.ThrowAsync<TinySyncUnavailableException>(() => client.RegisterDeviceAsync("lost answer"));
        lost.Message.ShouldContain("may or may not have been applied");
        _faults.Requests.ShouldBe(2);
    }

    [Fact]
    public async Task Vault_creation_is_retried_only_when_the_request_was_never_sent()
    {
        using var client = Client();
        _faults.FailConnection().RespondWithoutForwarding(HttpStatusCode.TooManyRequests, TimeSpan.Zero);
        (await client.CreateVaultAsync("created once")).Name.ShouldBe("created once");
        _faults.Requests.ShouldBe(3);
        _faults.Forwarded.ShouldBe(1);

        _faults.RespondWithoutForwarding(HttpStatusCode.BadGateway);
        await Should.ThrowAsync<TinySyncApiException>(() => client.CreateVaultAsync("not retried"));
        _faults.Requests.ShouldBe(4);
    }

    [Fact]
    public async Task Unreachable_server_is_a_typed_unavailable_error()
    {
        int port;
        using (var l = new TcpListener(IPAddress.Loopback, 0)) { l.Start(); port = ((IPEndPoint)l.LocalEndpoint).Port; }
        using var client = new TinySyncManagementClient(new Uri($"http://127.0.0.1:{port}/"), "admin",
            new ManagementClientOptions { Observer = _observer, MaxRetryAttempts = 2, RetryBaseDelay = TimeSpan.FromMilliseconds(10) });
        var e = await Should.ThrowAsync<TinySyncUnavailableException>(() => client.GetGroupAsync("g"));
        e.Code.ShouldBe(TinySyncApiException.UnreachableCode);
        e.IsTransient.ShouldBeTrue();
        _observer.Calls.Count.ShouldBe(3);
    }
}
