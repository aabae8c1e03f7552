using TinySync.Client.Daemon;
using TinySync.Client.Engine;

namespace TinySync.EndToEnd.Tests;

public sealed class DaemonTests
{
    static Task WaitForAsync(Func<bool> condition, TimeSpan timeout, string what) => Eventually.TrueAsync(condition, what, timeout);

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
        var a = new SyncDaemon(c.A.State, c.A.Identity, NullObserver.Instance, options);
        var b = new SyncDaemon(c.B.State, c.B.Identity, NullObserver.Instance, options);
        var daemonA = a.RunAsync(stop.Token);
        var daemonB = b.RunAsync(stop.Token);
        try
        {
            // both streams subscribed: what follows travels by wake hint, not by the disconnected poll
            await WaitForAsync(() => a.StreamConnected && b.StreamConnected, TimeSpan.FromSeconds(20), "both streams connected");
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
    public async Task After_a_server_restart_the_daemon_reconnects_its_stream_and_is_woken_by_hints_again()
    {
        await using var c = await Cluster.StartAsync();
        using var stop = new CancellationTokenSource();
        // No rescan and no polling within the test's time: B can learn of A's commit only through a hint on a
        // re-established stream (or the catch-up that follows a reconnection).
        var quiet = new DaemonOptions { Rescan = TimeSpan.FromHours(1), PollWhileDisconnected = TimeSpan.FromHours(1) };
        var messagesB = new RecordingObserver();
        var daemonA = new SyncDaemon(c.A.State, c.A.Identity, NullObserver.Instance, quiet).RunAsync(stop.Token);
        var daemonB = new SyncDaemon(c.B.State, c.B.Identity, messagesB, quiet).RunAsync(stop.Token);
        try
        {
            c.A.Write("before.txt", "before the restart");
            await WaitForAsync(() => Has(c.B, "before.txt", "before the restart"), TimeSpan.FromSeconds(20), "the first edit on B");

            await c.Server.StopAsync();
            await WaitForAsync(() => messagesB.Contains("change stream"), TimeSpan.FromSeconds(20), "B noticing the stream is gone");
            await c.Server.StartAgainAsync();

            c.A.Write("after.txt", "after the restart");
            await WaitForAsync(() => Has(c.B, "after.txt", "after the restart"), TimeSpan.FromSeconds(30), "the edit after the restart on B");
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(daemonA, daemonB);
        }
    }

    sealed class RecordingObserver : ISyncObserver
    {
        readonly List<string> _messages = [];

        public bool Contains(string fragment)
        {
            lock (_messages) return _messages.Any(m => m.Contains(fragment, StringComparison.Ordinal));
        }

        public void Message(MessageLevel level, string text)
        {
            lock (_messages) _messages.Add(text);
        }

        public void Progress(string phase, long done, long total) { }
    }

    [Fact]
    public async Task The_daemon_stops_with_a_clear_message_when_the_device_is_revoked()
    {
        await using var c = await Cluster.StartAsync(1);
        var running = new SyncDaemon(c.A.State, c.A.Identity, NullObserver.Instance);
        var daemon = running.RunAsync(CancellationToken.None);
        await WaitForAsync(() => running.StreamConnected, TimeSpan.FromSeconds(20), "the stream connected"); // revoked while running, not before
        await c.Server.RevokeAsync(c.A.Identity.DeviceId);
        var ex = await Should.ThrowAsync<TinySync.Client.State.DeviceRevokedException>(() => daemon.WaitAsync(TimeSpan.FromSeconds(20)));
        ex.Message.ShouldContain("tinysync login");
    }
}
