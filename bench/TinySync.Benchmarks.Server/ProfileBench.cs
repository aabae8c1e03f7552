using System.Diagnostics;
using Microsoft.Data.Sqlite;
using TinySync.Core.Contracts;
using TinySync.Core.Identity;
using TinySync.Server.Storage.Sql;
using TinySync.Server.Storage.Sqlite;

namespace TinySync.Benchmarks.Server;

/// <summary>
/// Where a <c>GET /v1/me</c> spends its time, step by step, single-threaded on the seeded database: token parsing and
/// hashing, the credential lookup, the /me queries (small device and a device reaching ~250 vaults).
/// </summary>
internal static class ProfileBench
{
    public static async Task<int> RunAsync(string dataDir, int n)
    {
        await using var store = new SqlStore(new SqliteDialect(Path.Combine(dataDir, "tinysync.db")));
        var ct = CancellationToken.None;
        var shape = new Shape();
        var token = Shape.Token(Shape.SmallDevice, -1);
        var big = shape.DeviceIds[0];

        async Task Time(string what, Func<Task> step)
        {
            for (var i = 0; i < Math.Max(2000, n); i++) await step(); // warm-up: long enough for tiered JIT to reach tier 1
            // CPU time as well as wall time: on a shared, loaded machine wall time mostly measures the queue for a core
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            for (var i = 0; i < n; i++) await step();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu0;
            Console.WriteLine($"profile: {what,-52} {sw.Elapsed.TotalMicroseconds / n,8:F1} us wall  {cpu.TotalMicroseconds / n,8:F1} us CPU per call");
        }

        await Time("DeviceToken.TryParse + constant-time hash check", () =>
        {
            DeviceToken.TryParse(token, out var t, out _);
            t!.Matches(DeviceToken.HashSecret(Shape.Secret(-1)));
            return Task.CompletedTask;
        });
        await Time("pooled connection open + close", async () => await (await store.Dialect.OpenAsync(ct)).DisposeAsync());
        await Time("FindCredentialAsync (authentication)", () => store.FindCredentialAsync(Shape.SmallDevice, ct));
        await Time("CanAccessAsync (authorization)", () => store.CanAccessAsync(Shape.SmallDevice, Shape.SmallVaults[0], ct));
        await Time("GetMeAsync, small device (2 groups, 3 vaults)", () => store.GetMeAsync(Shape.SmallDevice, ct));
        await Time("GetMeAsync, device reaching ~250 vaults", () => store.GetMeAsync(big, ct));

        // What would make /v1/me cheaper: the same answer in two statements instead of four, and those two
        // statements prepared once and reused on one open connection (what a statement cache would give).
        var d = store.Dialect.Id(Shape.SmallDevice);
        await Time("experiment: /me in 2 statements, prepared per call", async () =>
        {
            await using var c = await store.Dialect.OpenAsync(ct);
            await Sql.ListAsync(c, null, MeDeviceSql, r => r.GetString(0), ct, ("@d", d));
            await Sql.ListAsync(c, null, MeVaultsSql, r => r.GetString(0), ct, ("@d", d));
        });
        await Time("experiment: /me in 2 statements with full mapping", async () =>
        {
            await using var c = await store.Dialect.OpenAsync(ct);
            var rows = await Sql.ListAsync(c, null, MeDeviceSql,
                r => (Name: r.GetString(0), At: store.Dialect.ReadTime(r, 1), Group: r.NullableString(2)), ct, ("@d", d));
            var groups = rows.Where(x => x.Group is not null).Select(x => x.Group!).ToList();
            var vaults = new List<MeVault>();
            await Sql.ListAsync(c, null, MeVaultsSql, r =>
            {
                var id = store.Dialect.ReadId(r, 0);
                if (vaults.Count == 0 || vaults[^1].VaultId != id) vaults.Add(new MeVault(id, r.GetString(1), r.GetInt64(2), new List<ContainerView>()));
                if (!r.IsDBNull(3))
                    ((List<ContainerView>)vaults[^1].Containers).Add(new ContainerView(r.GetString(3), r.GetString(4), new ContainerPolicy(r.NullableInt64(5), r.GetBoolean(6))));
                return 0;
            }, ct, ("@d", d));
            _ = new MeView(Shape.SmallDevice, rows[0].Name, rows[0].At, groups, vaults);
        });
        await Time("GetMeAsync, small device, again (interleaved)", () => store.GetMeAsync(Shape.SmallDevice, ct));
        await using (var c = (SqliteConnection)await store.Dialect.OpenAsync(ct))
        {
            await using var c1 = Sql.Command(c, null, MeDeviceSql, ("@d", d));
            await using var c2 = Sql.Command(c, null, MeVaultsSql, ("@d", d));
            c1.Prepare();
            c2.Prepare();
            async Task Run(System.Data.Common.DbCommand cmd)
            {
                await using var r = await cmd.ExecuteReaderAsync(ct);
                while (await r.ReadAsync(ct)) _ = r.GetString(0);
            }
            await Time("experiment: /me in 2 statements, prepared once", async () => { await Run(c1); await Run(c2); });
            await using var c3 = Sql.Command(c, null, "SELECT credential_hash, revoked_at FROM devices WHERE device_id = @d", ("@d", d));
            c3.Prepare();
            await Time("experiment: credential lookup, prepared once", () => Run(c3));
        }
        return 0;
    }

    const string MeDeviceSql = """
        SELECT d.display_name, d.registered_at, gd.group_id FROM devices d
        LEFT JOIN group_devices gd ON gd.device_id = d.device_id
        WHERE d.device_id = @d ORDER BY gd.group_id
        """;

    const string MeVaultsSql = """
        SELECT v.vault_id, v.name, v.head_seq, c.name, c.namespace, c.max_file_bytes, c.read_only FROM vaults v
        LEFT JOIN containers c ON c.vault_id = v.vault_id
        WHERE v.vault_id IN (SELECT DISTINCT gv.vault_id FROM group_devices gd JOIN group_vaults gv ON gv.group_id = gd.group_id WHERE gd.device_id = @d)
        ORDER BY v.vault_id, c.name
        """;
}
