using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using TinySync.Core.Contracts;
using TinySync.Core.Json;
using TinySync.Server.Signals;
using TinySync.Server.Storage.Postgres;
using TinySync.Server.Tests.Support;

namespace TinySync.Server.Tests.ScaleOut;

/// <summary>Several server nodes on one PostgreSQL and one bucket.</summary>
public sealed class MultiNodeTests
{
    [Fact]
    public async Task A_commit_through_node_1_raises_the_hint_on_node_2()
    {
        await using var storage = (PostgresS3Instance)await Backend.Postgres.ProvisionAsync();
        await using var node1 = await TestServer.StartNodeAsync(storage);
        await using var node2 = await TestServer.StartNodeAsync(storage);
        var bus2 = node2.App.Services.GetRequiredService<ISignalBus>();
        bus2.ShouldBeOfType<PostgresSignalBus>();
        var (device, vaultId) = await NodeAdmin.DeviceWithVaultAsync(node1.BaseAddress);
        var hint = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        bus2.Committed += (v, head) => { if (v == vaultId) hint.TrySetResult(head); };

        using var client = NodeAdmin.SyncClientOn(node1.BaseAddress, device, vaultId);
        var seq = await client.OkAsync(Ops.Mkdir("docs"));

        (await hint.Task.WaitAsync(TimeSpan.FromSeconds(10))).ShouldBe(seq);
    }

    [Fact]
    public async Task A_commit_through_node_1_wakes_a_stream_held_by_node_2_and_a_client_syncs_through_node_2()
    {
        await using var storage = await Backend.Postgres.ProvisionAsync();
        await using var node1 = await TestServer.StartNodeAsync(storage);
        await using var node2 = await TestServer.StartNodeAsync(storage);
        var (writer, vaultId) = await NodeAdmin.DeviceWithVaultAsync(node1.BaseAddress, "writer");
        var reader = await NodeAdmin.PeerAsync(node2.BaseAddress, vaultId, "reader");
        await using var stream = await StreamClient.ConnectAsync(node2, reader.Token);
        await stream.SubscribeAsync(vaultId);
        (await stream.ReceiveAsync()).GetProperty("subscribed")[0].GetGuid().ShouldBe(vaultId);

        using var client1 = NodeAdmin.SyncClientOn(node1.BaseAddress, writer, vaultId);
        var seq = await client1.PutFileAsync("hello.txt", "hello from node 1"u8.ToArray());

        var hint = await stream.ReceiveAsync();
        hint.GetProperty("vault").GetGuid().ShouldBe(vaultId);
        hint.GetProperty("head").GetInt64().ShouldBe(seq);
        using var client2 = NodeAdmin.SyncClientOn(node2.BaseAddress, reader, vaultId);
        var entry = (await client2.LogAsync()).Entries.ShouldHaveSingleItem();
        var chunk = await client2.Http.GetByteArrayAsync($"{client2.Base}/chunks/{entry.Chunks!.Single()}");
        chunk.ShouldBe("hello from node 1"u8.ToArray(), "chunks uploaded through node 1 are served by node 2 from the shared bucket");
    }

    [Fact]
    public async Task Revoking_a_device_through_node_1_closes_its_stream_on_node_2()
    {
        await using var storage = await Backend.Postgres.ProvisionAsync();
        await using var node1 = await TestServer.StartNodeAsync(storage);
        await using var node2 = await TestServer.StartNodeAsync(storage);
        var (device, vaultId) = await NodeAdmin.DeviceWithVaultAsync(node1.BaseAddress);
        await using var stream = await StreamClient.ConnectAsync(node2, device.Token);
        await stream.SubscribeAsync(vaultId);
        await stream.ReceiveAsync();

        using var admin = node1.Admin();
        (await admin.PostAsync($"v1/devices/{device.DeviceId}/revoke", null)).EnsureSuccessStatusCode();

        (await stream.ReceiveCloseAsync()).Status.ShouldBe(StreamCloseCodes.Revoked);
    }

    [Fact]
    public async Task Losing_access_through_node_1_silences_the_vault_on_node_2()
    {
        await using var storage = await Backend.Postgres.ProvisionAsync();
        await using var node1 = await TestServer.StartNodeAsync(storage);
        await using var node2 = await TestServer.StartNodeAsync(storage);
        var device = await node1.RegisterAsync();
        var vault = await node1.CreateVaultAsync();
        await node1.AddDeviceToGroupAsync("g-x", device.DeviceId);
        await node1.AddVaultToGroupAsync("g-x", vault.VaultId);
        await using var stream = await StreamClient.ConnectAsync(node2, device.Token);
        await stream.SubscribeAsync(vault.VaultId);
        await stream.ReceiveAsync();

        using var admin = node1.Admin();
        (await admin.DeleteAsync($"v1/groups/g-x/vaults/{vault.VaultId}")).EnsureSuccessStatusCode();

        (await stream.ReceiveAsync()).GetRawText().ShouldBe($$"""{"denied":["{{vault.VaultId}}"]}""");
    }

    [Fact]
    public async Task Revocation_through_node_1_reaches_node_2()
    {
        await using var storage = await Backend.Postgres.ProvisionAsync();
        await using var node1 = await TestServer.StartNodeAsync(storage);
        await using var node2 = await TestServer.StartNodeAsync(storage);
        var device = await node1.RegisterAsync();
        var revoked = new TaskCompletionSource<Guid>(TaskCreationOptions.RunContinuationsAsynchronously);
        node2.App.Services.GetRequiredService<ISignalBus>().Revoked += d => revoked.TrySetResult(d);

        using var admin = node1.Admin();
        (await admin.PostAsync($"v1/devices/{device.DeviceId}/revoke", null)).EnsureSuccessStatusCode();

        (await revoked.Task.WaitAsync(TimeSpan.FromSeconds(10))).ShouldBe(device.DeviceId);
        using var onNode2 = node2.Client(device.Token);
        ((int)(await onNode2.GetAsync("v1/me")).StatusCode).ShouldBe(401);
    }

    [Fact]
    public async Task Every_bus_hears_every_signal_including_its_own()
    {
        await using var storage = (PostgresS3Instance)await Backend.Postgres.ProvisionAsync();
        var cs = PostgresSettings.Normalize(storage.ConnectionString);
        await using var a = new PostgresSignalBus(cs, NullLogger<PostgresSignalBus>.Instance);
        await using var b = new PostgresSignalBus(cs, NullLogger<PostgresSignalBus>.Instance);
        await a.StartAsync(default);
        await b.StartAsync(default);
        var heard = new ConcurrentQueue<string>();
        foreach (var (name, bus) in new[] { ("a", a), ("b", b) })
        {
            bus.Committed += (v, h) => heard.Enqueue($"{name}:commit:{h}");
            bus.Revoked += d => heard.Enqueue($"{name}:revoked");
            bus.AccessChanged += () => heard.Enqueue($"{name}:access");
        }

        a.PublishCommit(Guid.NewGuid(), 7);
        a.PublishRevoked(Guid.NewGuid());
        b.PublishAccessChanged();

        var expected = new[] { "a:commit:7", "b:commit:7", "a:revoked", "b:revoked", "a:access", "b:access" };
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!expected.All(heard.Contains) && DateTime.UtcNow < deadline) await Task.Delay(20);
        heard.ShouldBe(expected, ignoreOrder: true);
    }

    [Fact]
    public async Task Concurrent_writers_on_one_vault_through_two_node_processes_get_dense_gap_free_seqs()
    {
        await using var storage = await Backend.Postgres.ProvisionAsync();
        using var dir = new TempDir("tinysync-nodes");
        await using var node1 = new ServerProcess(dir.Sub("n1"), new Dictionary<string, string>(storage.Settings));
        await using var node2 = new ServerProcess(dir.Sub("n2"), new Dictionary<string, string>(storage.Settings));
        await Task.WhenAll(node1.StartAsync(), node2.StartAsync());
        var (device, vaultId) = await NodeAdmin.DeviceWithVaultAsync(node1.BaseAddress);

        const int writersPerNode = 6, batches = 15;
        var acked = new ConcurrentBag<(Guid OpId, long Seq)>();
        var writers = new[] { node1, node2 }.SelectMany(node => Enumerable.Range(0, writersPerNode).Select(w => Task.Run(async () =>
        {
            var peer = await NodeAdmin.PeerAsync(node.BaseAddress, vaultId, $"w{node.Port}-{w}");
            using var client = NodeAdmin.SyncClientOn(node.BaseAddress, peer, vaultId);
            for (var i = 0; i < batches; i++)
            {
                // batches of 1..3 ops: single commits and multi-op batches interleave
                var ops = Enumerable.Range(0, 1 + i % 3).Select(k => Ops.Mkdir($"n{node.Port}-w{w}-{i}-{k}")).ToArray();
                var response = await client.CommitAsync(ops);
                foreach (var r in response.Results)
                {
                    r.Status.ShouldBe(OpStatus.Committed);
                    acked.Add((r.OpId, r.Seq!.Value));
                }
            }
        }))).ToArray();
        await Task.WhenAll(writers);

        using var reader = NodeAdmin.SyncClientOn(node2.BaseAddress, device, vaultId);
        var log = await reader.FullLogAsync();
        var total = acked.Count;
        acked.Select(a => a.Seq).Distinct().Count().ShouldBe(total, "no seq was handed out twice");
        log.Select(e => e.Seq).ShouldBe(Enumerable.Range(1, total).Select(i => (long)i), "the log is dense from 1, no hole");
        var bySeq = log.ToDictionary(e => e.Seq, e => e.OpId);
        acked.ShouldAllBe(a => bySeq[a.Seq] == a.OpId, "every acknowledged commit is in the log at its seq");
        (await reader.LogAsync()).Head.ShouldBe(total);
    }

    [Fact]
    public async Task A_node_killed_inside_its_commit_transaction_leaves_nothing_and_the_retry_through_another_node_commits_once()
    {
        await using var storage = await Backend.Postgres.ProvisionAsync();
        using var dir = new TempDir("tinysync-nodes");
        await using var node1 = new ServerProcess(dir.Sub("n1"), new Dictionary<string, string>(storage.Settings));
        await using var node2 = new ServerProcess(dir.Sub("n2"), new Dictionary<string, string>(storage.Settings));
        await Task.WhenAll(node1.StartAsync(), node2.StartAsync());
        var (device, vaultId) = await NodeAdmin.DeviceWithVaultAsync(node1.BaseAddress);
        using (var warm = NodeAdmin.SyncClientOn(node1.BaseAddress, device, vaultId)) await warm.OkAsync(Ops.Mkdir("root"));

        var batch = Enumerable.Range(0, 1000).Select(i => Ops.Mkdir($"root/d{i:0000}")).ToArray();
        var ids = batch.Select(o => o.OpId).ToHashSet();
        var database = new Npgsql.NpgsqlConnectionStringBuilder(((PostgresS3Instance)storage).ConnectionString).Database!;

        // Make the kill land inside the commit transaction: a second session holds a lock that blocks every INSERT
        // into the change log, so node 1's transaction (which has already row-locked the vault, so it holds a
        // transaction id) waits on it mid-batch. Node 1 is killed while PostgreSQL shows it waiting there.
        await using var blocker = new Npgsql.NpgsqlConnection(((PostgresS3Instance)storage).ConnectionString);
        await blocker.OpenAsync();
        await using var hold = await blocker.BeginTransactionAsync();
        await using (var lockLog = new Npgsql.NpgsqlCommand("LOCK TABLE change_log IN SHARE MODE", blocker, hold)) await lockLog.ExecuteNonQueryAsync();

        using var client1 = NodeAdmin.SyncClientOn(node1.BaseAddress, device, vaultId);
        var inFlight = client1.Http.PostAsJsonAsync($"{client1.Base}/ops", new OpsRequest(batch), TinySyncJson.Options);
        var waiting = await WaitForBlockedWriterAsync(database, blocker.ProcessID);
        waiting.ShouldBeTrue("node 1's commit transaction reached the change-log INSERT and waits on the lock");
        node1.Kill();
        try { (await inFlight).Dispose(); }
        catch (HttpRequestException) { }
        catch (TaskCanceledException) { }
        await hold.RollbackAsync(); // the orphaned backend now finds its client gone and rolls back

        using var client2 = NodeAdmin.SyncClientOn(node2.BaseAddress, device, vaultId);
        var landed = (await client2.FullLogAsync()).Count(e => ids.Contains(e.OpId));
        landed.ShouldBe(0, "a transaction cut off mid-batch leaves nothing behind");

        var retry = await client2.CommitAsync(batch);
        retry.Results.ShouldAllBe(r => r.Status == OpStatus.Committed);
        var log = await client2.FullLogAsync();
        log.Count(e => ids.Contains(e.OpId)).ShouldBe(batch.Length, "each op of the batch is committed exactly once");
        log.Select(e => e.Seq).ShouldBe(Enumerable.Range(1, batch.Length + 1).Select(i => (long)i));
    }

    /// <summary>Waits until a backend of <paramref name="database"/> other than <paramref name="blockerPid"/> waits on a
    /// lock inside a transaction that has written (holds a transaction id).</summary>
    static async Task<bool> WaitForBlockedWriterAsync(string database, int blockerPid)
    {
        await using var watcher = new Npgsql.NpgsqlConnection(PostgresTestCluster.AdminConnectionString);
        await watcher.OpenAsync();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            await using var cmd = new Npgsql.NpgsqlCommand(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = @d AND pid <> @p AND wait_event_type = 'Lock' AND backend_xid IS NOT NULL",
                watcher);
            cmd.Parameters.AddWithValue("d", database);
            cmd.Parameters.AddWithValue("p", blockerPid);
            if ((long)(await cmd.ExecuteScalarAsync())! > 0) return true;
            await Task.Delay(10);
        }
        return false;
    }

    [Fact]
    public async Task A_database_that_does_not_exist_fails_start_up_naming_the_setting()
    {
        using var dir = new TempDir("tinysync-node");
        var cs = new Npgsql.NpgsqlConnectionStringBuilder(PostgresTestCluster.AdminConnectionString) { Database = "no_such_db_" + Guid.NewGuid().ToString("N")[..8] };
        await using var node = new ServerProcess(dir.Sub("data"), new Dictionary<string, string> { ["TINYSYNC_DATABASE"] = cs.ConnectionString });
        var (exit, output) = await node.RunExpectingFailureAsync();
        exit.ShouldNotBe(0);
        output.Trim().ShouldStartWith("tinysync-server: TINYSYNC_DATABASE: database does not exist");
    }

    [Theory]
    [InlineData("Host=127.0.0.1;Bogus Keyword=1")]
    [InlineData("Port=5432")]
    public async Task A_malformed_connection_string_fails_start_up_naming_the_setting(string value)
    {
        using var dir = new TempDir("tinysync-node");
        await using var node = new ServerProcess(dir.Sub("data"), new Dictionary<string, string> { ["TINYSYNC_DATABASE"] = value });
        var (exit, output) = await node.RunExpectingFailureAsync();
        exit.ShouldNotBe(0);
        output.Trim().ShouldStartWith("tinysync-server: TINYSYNC_DATABASE");
    }

    [Fact]
    public async Task A_wrong_bucket_fails_start_up_naming_the_setting()
    {
        await using var storage = await Backend.Postgres.ProvisionAsync();
        using var dir = new TempDir("tinysync-node");
        var env = new Dictionary<string, string>(storage.Settings) { ["TINYSYNC_BLOB_STORE"] = "s3://no-such-bucket-here/chunks" };
        await using var node = new ServerProcess(dir.Sub("data"), env);
        var (exit, output) = await node.RunExpectingFailureAsync();
        exit.ShouldNotBe(0);
        output.Trim().ShouldStartWith("tinysync-server: TINYSYNC_BLOB_STORE: bucket 'no-such-bucket-here' does not exist");
    }

    [Fact]
    public void A_postgres_url_is_accepted_and_gets_pool_and_timeout_defaults()
    {
        var cs = new Npgsql.NpgsqlConnectionStringBuilder(PostgresSettings.Normalize("postgresql://ts%40user:p%3Ass@db.example:6543/tiny?sslmode=require"));
        cs.Host.ShouldBe("db.example");
        cs.Port.ShouldBe(6543);
        cs.Username.ShouldBe("ts@user");
        cs.Password.ShouldBe("p:ss");
        cs.Database.ShouldBe("tiny");
        cs.SslMode.ShouldBe(Npgsql.SslMode.Require);
        cs.MaxPoolSize.ShouldBe(PostgresSettings.DefaultMaxPoolSize);
        cs.Options!.ShouldContain("statement_timeout");
        new Npgsql.NpgsqlConnectionStringBuilder(PostgresSettings.Normalize("Host=h;Maximum Pool Size=7")).MaxPoolSize.ShouldBe(7);
        PostgresSettings.Describe(cs.ConnectionString).ShouldNotContain("p:ss");
    }

    [Fact]
    public void Statements_are_prepared_automatically_unless_the_connection_string_says_otherwise()
    {
        new Npgsql.NpgsqlConnectionStringBuilder(PostgresSettings.Normalize("Host=h")).MaxAutoPrepare.ShouldBe(PostgresSettings.DefaultMaxAutoPrepare);
        new Npgsql.NpgsqlConnectionStringBuilder(PostgresSettings.Normalize("Host=h;Max Auto Prepare=0")).MaxAutoPrepare.ShouldBe(0);
    }

    [Fact]
    public void Pooled_connections_are_not_reset_on_close_unless_the_connection_string_says_otherwise()
    {
        new Npgsql.NpgsqlConnectionStringBuilder(PostgresSettings.Normalize("Host=h")).NoResetOnClose.ShouldBeTrue();
        new Npgsql.NpgsqlConnectionStringBuilder(PostgresSettings.Normalize("Host=h;No Reset On Close=false")).NoResetOnClose.ShouldBeFalse();
        new Npgsql.NpgsqlConnectionStringBuilder(PostgresSettings.Normalize("postgres://u@h/db?No%20Reset%20On%20Close=false")).NoResetOnClose.ShouldBeFalse();
    }
}
