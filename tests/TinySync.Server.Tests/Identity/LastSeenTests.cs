using TinySync.Core.Contracts;
using TinySync.Server.Tests.Support;

namespace TinySync.Server.Tests.Identity;

public sealed class LastSeenTests_Sqlite(SharedServer fixture) : LastSeenTests(fixture), IClassFixture<SharedServer>;

public sealed class LastSeenTests_Postgres(PostgresSharedServer fixture) : LastSeenTests(fixture), IClassFixture<PostgresSharedServer>;

public abstract class LastSeenTests(SharedServer fixture)
{
    readonly TestServer _server = fixture.Server;

    object? LastSeen(Guid device) =>
        Db.Scalar(_server, "SELECT last_seen_at FROM devices WHERE device_id = @d", ("@d", device.ToString("D")));

    [Fact]
    public async Task Last_seen_is_set_by_the_first_authenticated_request_and_not_rewritten_by_the_next_ones()
    {
        var device = await _server.RegisterAsync();
        LastSeen(device.DeviceId).ShouldBeNull("registration is not the device being seen");

        using var c = _server.Client(device.Token);
        (await c.GetAsync("v1/me")).EnsureSuccessStatusCode();
        var first = LastSeen(device.DeviceId).ShouldBeOfType<long>();

        await Task.Delay(20); // the clock moves on: a rewrite would show
        for (var i = 0; i < 5; i++) (await c.GetAsync("v1/me")).EnsureSuccessStatusCode();
        LastSeen(device.DeviceId).ShouldBe(first);

        using var admin = _server.Admin();
        var view = await (await admin.GetAsync($"v1/devices/{device.DeviceId}")).ReadAsync<DeviceView>();
        view.LastSeenAt.ShouldNotBeNull();
        view.LastSeenAt!.Value.ShouldBeGreaterThanOrEqualTo(view.RegisteredAt);
    }

    [Fact]
    public async Task Touching_last_seen_writes_no_audit_row()
    {
        var device = await _server.RegisterAsync();
        var head = await _server.AuditHeadAsync();
        using var c = _server.Client(device.Token);
        (await c.GetAsync("v1/me")).EnsureSuccessStatusCode();
        (await _server.AuditHeadAsync()).ShouldBe(head);
    }
}
