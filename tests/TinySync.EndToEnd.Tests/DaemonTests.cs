using System.Diagnostics;
using TinySync.Client.Daemon;
using TinySync.Client.Engine;

namespace TinySync.EndToEnd.Tests;

public sealed class DaemonTests
{
    static async Task WaitForAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed > timeout) throw new TimeoutException($"timed out waiting for {what}");
            await Task.Delay(10);
        }
    }

    static bool Has(Device d, string rel, string content)
    {
        try { return File.Exists(d.PathOf(rel)) && d.Read(rel) == content; }
        catch (IOException) { return false; }
    }

    [Fact]
    public async Task The_daemon_picks_up_a_local_edit_and_another_devices_commit_without_a_manual_sync()
    {
        await using var c = await Cluster.StartAsync();
        using var stop = new CancellationTokenSource();
        var options = new DaemonOptions { Rescan = TimeSpan.FromMinutes(10) };
        var daemonA = new SyncDaemon(c.A.State, c.A.Identity, NullObserver.Instance, options).RunAsync(stop.Token);
        var daemonB = new SyncDaemon(c.B.State, c.B.Identity, NullObserver.Instance, options).RunAsync(stop.Token);
        try
        {
            await Task.Delay(500); // both connected
            c.A.Write("from-a.txt", "written on A");
            await WaitForAsync(() => Has(c.B, "from-a.txt", "written on A"), TimeSpan.FromSeconds(20), "A's edit on B");
            c.B.Write("from-b.txt", "written on B");
            await WaitForAsync(() => Has(c.A, "from-b.txt", "written on B"), TimeSpan.FromSeconds(20), "B's edit on A");

            // a commit by a third party (a device driven by the library, not a daemon) reaches both
            var third = await Device.CreateAsync(c.Server, c.Vault.VaultId, "devC");
            c.Devices.Add(third);
            await third.SyncConvergedAsync();
            third.Write("from-c.txt", "written on C");
            await third.SyncConvergedAsync();
            await WaitForAsync(() => Has(c.A, "from-c.txt", "written on C") && Has(c.B, "from-c.txt", "written on C"), TimeSpan.FromSeconds(20), "C's commit on A and B");
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(daemonA, daemonB);
        }
    }

    [Fact]
    public async Task The_daemon_stops_with_a_clear_message_when_the_device_is_revoked()
    {
        await using var c = await Cluster.StartAsync(1);
        var daemon = new SyncDaemon(c.A.State, c.A.Identity, NullObserver.Instance).RunAsync(CancellationToken.None);
        await Task.Delay(500);
        await c.Server.RevokeAsync(c.A.Identity.DeviceId);
        var ex = await Should.ThrowAsync<TinySync.Client.State.DeviceRevokedException>(() => daemon.WaitAsync(TimeSpan.FromSeconds(20)));
        ex.Message.ShouldContain("tinysync login");
    }
}
