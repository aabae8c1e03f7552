using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using TinySync.Core.Contracts;
using TinySync.Core.Json;
using TinySync.Server.Tests.Support;

namespace TinySync.Server.Tests.Identity;

/// <summary>Raw-wire helpers for the identity, management and operations tests.</summary>
public static class Wire
{
    /// <summary>A fresh, valid group id.</summary>
    public static string NewGroup(string prefix = "g") => $"{prefix}-{Guid.NewGuid():N}";

    /// <summary>The current head of the audit record (the seq of its last row).</summary>
    public static async Task<long> AuditHeadAsync(this TestServer server)
    {
        using var c = server.Admin();
        var page = await c.GetFromJsonAsync<AuditPage>("v1/audit?after=9223372036854775806&limit=1", TinySyncJson.Options);
        return page!.Head;
    }

    /// <summary>The audit rows after <paramref name="after"/>, all pages.</summary>
    public static async Task<List<AuditEntry>> AuditAfterAsync(this TestServer server, long after)
    {
        using var c = server.Admin();
        var all = new List<AuditEntry>();
        while (true)
        {
            var page = (await c.GetFromJsonAsync<AuditPage>($"v1/audit?after={after}&limit=1000", TinySyncJson.Options))!;
            all.AddRange(page.Entries);
            if (!page.HasMore) return all;
            after = page.Entries[^1].Seq;
        }
    }

    /// <summary>The vault ids <c>GET /v1/me</c> lists for this token.</summary>
    public static async Task<HashSet<Guid>> ReachableVaultsAsync(this TestServer server, string token)
    {
        using var c = server.Client(token);
        var r = await c.GetAsync("v1/me");
        r.EnsureSuccessStatusCode();
        var me = (await r.Content.ReadFromJsonAsync<MeView>(TinySyncJson.Options))!;
        return me.Vaults.Select(v => v.VaultId).ToHashSet();
    }

    public static async Task<HttpResponseMessage> SendAsync(this HttpClient c, HttpMethod method, string path, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        return await c.SendAsync(request);
    }

    public static async Task<T> ReadAsync<T>(this HttpResponseMessage r) =>
        (await r.Content.ReadFromJsonAsync<T>(TinySyncJson.Options))!;

    public static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();
}

/// <summary>Reads the server's SQLite file directly, read-only, as an outsider would.</summary>
public static class Db
{
    public static string PathIn(string dataDir) => Path.Combine(dataDir, "tinysync.db");

    static SqliteConnection Open(string dataDir)
    {
        var c = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = PathIn(dataDir), Mode = SqliteOpenMode.ReadOnly, Pooling = false,
        }.ToString());
        c.Open();
        return c;
    }

    public static object? Scalar(string dataDir, string sql, params (string Name, object Value)[] ps)
    {
        using var c = Open(dataDir);
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (n, v) in ps) cmd.Parameters.AddWithValue(n, v);
        var v2 = cmd.ExecuteScalar();
        return v2 is DBNull ? null : v2;
    }

    public static long Count(string dataDir, string table) =>
        (long)Scalar(dataDir, $"SELECT COUNT(*) FROM {table}")!;

    /// <summary>Reads whichever database <paramref name="server"/> runs on (SQLite file or PostgreSQL).</summary>
    public static object? Scalar(TestServer server, string sql, params (string Name, object Value)[] ps)
    {
        if (server.Storage is not PostgresS3Instance pg) return Scalar(server.DataDir, sql, ps);
        using var c = new Npgsql.NpgsqlConnection(pg.ConnectionString);
        c.Open();
        using var cmd = new Npgsql.NpgsqlCommand(sql, c);
        // ids are text in SQLite and uuid in PostgreSQL: the same test passes them as strings
        foreach (var (n, v) in ps) cmd.Parameters.AddWithValue(n, v is string t && Guid.TryParseExact(t, "D", out var g) ? g : v);
        return cmd.ExecuteScalar() switch
        {
            DBNull => null,
            DateTime t => (t.Ticks - DateTime.UnixEpoch.Ticks) / 10, // as SQLite stores times: Unix microseconds
            var value => value,
        };
    }

    /// <summary>
    /// Changes rows behind the server's back (state an older server left), on whichever database it runs on.
    /// </summary>
    public static void Tamper(TestServer server, string sql, params (string Name, object Value)[] ps)
    {
        if (server.Storage is PostgresS3Instance)
        {
            Scalar(server, sql, ps);
            return;
        }
        using var c = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = PathIn(server.DataDir), Mode = SqliteOpenMode.ReadWrite, Pooling = false, DefaultTimeout = 30,
        }.ToString());
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (n, v) in ps) cmd.Parameters.AddWithValue(n, v);
        cmd.ExecuteNonQuery().ShouldBeGreaterThan(0, sql);
    }

    public static long Count(TestServer server, string table) =>
        (long)Scalar(server, $"SELECT COUNT(*) FROM {table}")!;
}
