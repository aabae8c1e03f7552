using System.Diagnostics;
using Microsoft.Data.Sqlite;
using TinySync.Core.Identity;
using TinySync.Server.Storage.Sql;
using TinySync.Server.Storage.Sqlite;

namespace TinySync.Benchmarks.Server;

/// <summary>
/// Creates the seeded database with the server's own migrations, then bulk-inserts rows with prepared statements
/// in a few large transactions (not through the API: 1.3 million rows). Reuses the file when it is complete.
/// </summary>
internal static class Seeder
{
    const string DoneMarker = "seed-complete";

    public static async Task<int> SeedAsync(string dataDir)
    {
        Directory.CreateDirectory(dataDir);
        var db = Path.Combine(dataDir, "tinysync.db");
        if (File.Exists(Path.Combine(dataDir, DoneMarker)) && File.Exists(db))
        {
            Console.WriteLine($"seed: reusing {db} ({new FileInfo(db).Length / 1e6:F0} MB)");
            await PrintCountsAsync(db);
            return 0;
        }
        foreach (var f in Directory.GetFiles(dataDir)) File.Delete(f);

        var total = Stopwatch.StartNew();
        var shape = new Shape();
        Console.WriteLine($"seed: shape generated in {total.Elapsed.TotalSeconds:F1} s");
        await using (var store = new SqlStore(new SqliteDialect(db))) await store.MigrateAsync(CancellationToken.None);

        using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db, Pooling = false, ForeignKeys = false }.ToString());
        c.Open();
        Exec(c, "PRAGMA synchronous=OFF; PRAGMA cache_size=-262144;");
        var now = (DateTimeOffset.UtcNow.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

        // devices, in primary-key order
        Batch(c, "devices", "INSERT INTO devices (device_id, display_name, credential_hash, registered_at) VALUES ($1, $2, $3, $4)",
            Enumerable.Range(0, Shape.Devices).Select(i => (Id: shape.DeviceIds[i].ToString("D"), Index: i))
                .Append((Id: Shape.SmallDevice.ToString("D"), Index: -1))
                .OrderBy(x => x.Id, StringComparer.Ordinal)
                .Select(x => new object[] { x.Id, $"device {x.Index}", DeviceToken.HashSecret(Shape.Secret(x.Index)), now }));

        var vaults = Enumerable.Range(0, Shape.Vaults).Select(i => (Id: shape.VaultIds[i].ToString("D"), Name: $"vault {i}"))
            .Concat(Shape.SmallVaults.Select((v, i) => (Id: v.ToString("D"), Name: $"small vault {i}")))
            .OrderBy(x => x.Id, StringComparer.Ordinal).ToList();
        Batch(c, "vaults", "INSERT INTO vaults (vault_id, name, created_at, head_seq) VALUES ($1, $2, $3, 0)",
            vaults.Select(v => new object[] { v.Id, v.Name, now }));
        Batch(c, "containers", "INSERT INTO containers (vault_id, name, namespace, max_file_bytes, read_only) VALUES ($1, 'default', 'default', NULL, 0)",
            vaults.Select(v => new object[] { v.Id }));

        Batch(c, "groups", "INSERT INTO groups (group_id, name, ecosystem, created_at) VALUES ($1, NULL, NULL, $2)",
            shape.GroupIds.Append(Shape.SmallGroupA).Append(Shape.SmallGroupB).Order(StringComparer.Ordinal).Select(g => new object[] { g, now }));

        var deviceEdges = new List<(string G, string D)>(Shape.Devices * Shape.GroupsPerDevice + 2);
        for (var d = 0; d < Shape.Devices; d++)
            foreach (var g in shape.DeviceGroups[d]) deviceEdges.Add((shape.GroupIds[g], shape.DeviceIds[d].ToString("D")));
        deviceEdges.Add((Shape.SmallGroupA, Shape.SmallDevice.ToString("D")));
        deviceEdges.Add((Shape.SmallGroupB, Shape.SmallDevice.ToString("D")));
        deviceEdges.Sort((a, b) => string.CompareOrdinal(a.G, b.G) is var r and not 0 ? r : string.CompareOrdinal(a.D, b.D));
        Batch(c, "group_devices", "INSERT INTO group_devices (group_id, device_id, added_at) VALUES ($1, $2, $3)",
            deviceEdges.Select(e => new object[] { e.G, e.D, now }));

        var vaultEdges = new List<(string G, string V)>(Shape.Vaults * Shape.GroupsPerVault + 4);
        for (var v = 0; v < Shape.Vaults; v++)
            foreach (var g in shape.VaultGroups[v]) vaultEdges.Add((shape.GroupIds[g], shape.VaultIds[v].ToString("D")));
        vaultEdges.Add((Shape.SmallGroupA, Shape.SmallVaults[0].ToString("D")));
        vaultEdges.Add((Shape.SmallGroupA, Shape.SmallVaults[1].ToString("D")));
        vaultEdges.Add((Shape.SmallGroupB, Shape.SmallVaults[1].ToString("D")));
        vaultEdges.Add((Shape.SmallGroupB, Shape.SmallVaults[2].ToString("D")));
        vaultEdges.Sort((a, b) => string.CompareOrdinal(a.G, b.G) is var r and not 0 ? r : string.CompareOrdinal(a.V, b.V));
        Batch(c, "group_vaults", "INSERT INTO group_vaults (group_id, vault_id, added_at) VALUES ($1, $2, $3)",
            vaultEdges.Select(e => new object[] { e.G, e.V, now }));

        Exec(c, "PRAGMA wal_checkpoint(TRUNCATE);");
        c.Close();
        await File.WriteAllTextAsync(Path.Combine(dataDir, DoneMarker), DateTimeOffset.UtcNow.ToString("O"));
        Console.WriteLine($"seed: done in {total.Elapsed.TotalSeconds:F1} s, {new FileInfo(db).Length / 1e6:F0} MB");
        await PrintCountsAsync(db);
        return 0;
    }

    static void Exec(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    static void Batch(SqliteConnection c, string what, string sql, IEnumerable<object[]> rows)
    {
        var sw = Stopwatch.StartNew();
        using var tx = c.BeginTransaction();
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        SqliteParameter[]? ps = null;
        var n = 0;
        foreach (var row in rows)
        {
            if (ps is null)
            {
                ps = new SqliteParameter[row.Length];
                for (var i = 0; i < row.Length; i++) ps[i] = cmd.Parameters.Add(new SqliteParameter($"${i + 1}", null));
                cmd.Prepare();
            }
            for (var i = 0; i < row.Length; i++) ps[i].Value = row[i];
            cmd.ExecuteNonQuery();
            n++;
        }
        tx.Commit();
        Console.WriteLine($"seed: {n,9:N0} {what} in {sw.Elapsed.TotalSeconds:F1} s");
    }

    static async Task PrintCountsAsync(string db)
    {
        await using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        await c.OpenAsync();
        foreach (var t in new[] { "devices", "groups", "vaults", "containers", "group_devices", "group_vaults" })
        {
            await using var cmd = c.CreateCommand();
            cmd.CommandText = $"SELECT COUNT(*) FROM {t}";
            Console.WriteLine($"seed: {t,-14} {(long)(await cmd.ExecuteScalarAsync())!,10:N0}");
        }
    }

    public static int PrintToken(int index)
    {
        Console.WriteLine(index < 0 ? Shape.Token(Shape.SmallDevice, -1) : Shape.Token(new Shape().DeviceIds[index], index));
        return 0;
    }
}
