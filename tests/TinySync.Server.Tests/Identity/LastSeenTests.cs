using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using TinySync.Core.Contracts;
using TinySync.Server.Hosting;
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

        // the clock moves past the first stamp (microseconds since the epoch), so that a rewrite would show
        while ((DateTimeOffset.UtcNow.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10 <= first) await Task.Yield();
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

    sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;
        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public async Task Last_seen_is_rewritten_only_after_about_a_minute_on_the_servers_clock()
    {
        using var dir = new TempDir();
        var clock = new ManualClock(new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero));
        await using var app = await TinySyncServer.BuildAsync(
            ["--urls=http://127.0.0.1:0", $"--TINYSYNC_DATA_DIR={dir.Sub("data")}", $"--TINYSYNC_ADMIN_TOKEN={TestServer.AdminTokenValue}"],
            b => b.Services.AddSingleton<TimeProvider>(clock));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var anonymous = new HttpClient { BaseAddress = new Uri(address + "/") };
        var device = await (await anonymous.PostAsync("v1/devices", Json("""{"display_name":"clocked"}"""))).ReadAsync<DeviceRegistered>();
        using var c = new HttpClient { BaseAddress = new Uri(address + "/") };
        c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", device.Token);
        object? Seen() => Db.Scalar(dir.Sub("data"), "SELECT last_seen_at FROM devices WHERE device_id = @d", ("@d", device.DeviceId.ToString("D")));
        long Micros(DateTimeOffset t) => (t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

        var first = clock.Now;
        (await c.GetAsync("v1/me")).EnsureSuccessStatusCode();
        Seen().ShouldBe(Micros(first));

        clock.Now = first.AddSeconds(59);
        (await c.GetAsync("v1/me")).EnsureSuccessStatusCode();
        Seen().ShouldBe(Micros(first), "within the minute nothing is written");

        clock.Now = first.AddSeconds(61);
        (await c.GetAsync("v1/me")).EnsureSuccessStatusCode();
        Seen().ShouldBe(Micros(first.AddSeconds(61)), "after the minute the next request records the new time");
        await app.StopAsync();
    }
}
