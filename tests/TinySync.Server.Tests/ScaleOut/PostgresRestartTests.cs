using System.Collections.Concurrent;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using TinySync.Core.Contracts;
using TinySync.Core.Json;
using TinySync.Server.Signals;
using TinySync.Server.Tests.Support;

namespace TinySync.Server.Tests.ScaleOut;

/// <summary>PostgreSQL going away under load, on a cluster of this test's own (the shared one serves other tests).</summary>
public sealed class PostgresRestartTests
{
    [Fact]
    public async Task PostgreSQL_restarted_under_load_answers_503_while_down_loses_no_acknowledged_commit_and_recovers_without_a_restart()
    {
        await using var pg = await PrivatePostgres.StartAsync();
        await using var server = await TestServer.StartAsync(s => s["TINYSYNC_DATABASE"] = pg.ConnectionString);
        var reconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.App.Services.GetRequiredService<ISignalBus>().AccessChanged += () => reconnected.TrySetResult();
        var (device, vault) = await server.DeviceWithVaultAsync();

        var acked = new ConcurrentDictionary<Guid, long>();
        var unavailable = 0;
        var unexpected = new ConcurrentQueue<string>();
        var restarted = false;
        var afterRestart = new int[4];
        var unavailableBy = new int[afterRestart.Length];
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(90));

        var writers = Enumerable.Range(0, afterRestart.Length).Select(w => Task.Run(async () =>
        {
            using var http = server.Client(device.Token);
            http.Timeout = TimeSpan.FromSeconds(30);
            for (var i = 0; Volatile.Read(ref afterRestart[w]) < 10 && !stop.IsCancellationRequested; i++)
            {
                var op = Ops.Mkdir($"w{w}-{i:00000}");
                while (!stop.IsCancellationRequested)
                {
                    // the same op id until it is acknowledged: a commit whose answer was lost is not applied twice
                    using var r = await http.PostAsJsonAsync($"v1/vaults/{vault.VaultId}/ops", new OpsRequest([op]), TinySyncJson.Options);
                    if (r.IsSuccessStatusCode)
                    {
                        var result = (await r.Content.ReadFromJsonAsync<OpsResponse>(TinySyncJson.Options))!.Results.Single();
                        if (result.Status != OpStatus.Committed) unexpected.Enqueue($"{op.Path}: {result.Status} {result.Code}");
                        else acked[op.OpId] = result.Seq!.Value;
                        if (Volatile.Read(ref restarted)) Interlocked.Increment(ref afterRestart[w]);
                        break;
                    }
                    if ((int)r.StatusCode == 503 && r.Headers.RetryAfter is not null)
                    {
                        Interlocked.Increment(ref unavailable);
                        Interlocked.Increment(ref unavailableBy[w]);
                        await Task.Delay(100);
                        continue;
                    }
                    unexpected.Enqueue($"{op.Path}: HTTP {(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}");
                    await Task.Delay(100);
                }
            }
        })).ToArray();

        while (acked.Count < 20 && !stop.IsCancellationRequested) await Task.Delay(50);
        acked.Count.ShouldBeGreaterThanOrEqualTo(20, "writers commit before the fault");
        await pg.PgCtlAsync("stop -m fast");
        // down until every writer has been answered 503 at least once (not for a fixed time)
        while (Enumerable.Range(0, unavailableBy.Length).Any(w => Volatile.Read(ref unavailableBy[w]) == 0) && !stop.IsCancellationRequested)
            await Task.Delay(20);
        var unavailableWhileDown = Volatile.Read(ref unavailable);
        await pg.PgCtlAsync("start");
        Volatile.Write(ref restarted, true);
        await Task.WhenAll(writers);

        stop.IsCancellationRequested.ShouldBeFalse("the writers recovered after the restart");
        unexpected.ShouldBeEmpty();
        unavailableWhileDown.ShouldBeGreaterThan(0, "requests while the database is down get 503 + Retry-After");
        await reconnected.Task.WaitAsync(TimeSpan.FromSeconds(15)); // the signal listener came back and told streams to re-check

        using var reader = server.Client(device.Token);
        var client = new SyncClient(reader, vault.VaultId, device.DeviceId);
        var log = await client.FullLogAsync();
        log.Select(e => e.Seq).ShouldBe(Enumerable.Range(1, log.Count).Select(i => (long)i), "dense, no hole");
        log.Count.ShouldBe(acked.Count, "every op committed exactly once");
        var bySeq = log.ToDictionary(e => e.Seq, e => e.OpId);
        acked.ShouldAllBe(a => bySeq[a.Value] == a.Key, "every acknowledged commit is in the log at its seq");
    }
}
