using System.Text;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace TinySync.Testing;

/// <summary>
/// A storage backend the conformance suite runs against: SQLite + local chunks (the embedded default) or
/// PostgreSQL + S3 (scale-out). <see cref="ProvisionAsync"/> gives each server a fresh database and bucket.
/// PostgreSQL and S3 come from ./test.sh (scripts/env): when they are missing the test fails, it is never skipped.
/// </summary>
public abstract class Backend
{
    /// <summary>SQLite in the data dir, local chunk files.</summary>
    public static readonly Backend Sqlite = new SqliteBackend();

    /// <summary>PostgreSQL (TINYSYNC_TEST_PG) and S3 (TINYSYNC_TEST_S3_ENDPOINT), a fresh database and bucket per server.</summary>
    public static readonly Backend Postgres = new PostgresS3Backend();

    /// <summary>Every backend, for [Theory, MemberData(nameof(Backend.All), MemberType = typeof(Backend))].</summary>
    public static TheoryData<string> All => new(Sqlite.Name, Postgres.Name);

    /// <summary>A backend by <see cref="Name"/>.</summary>
    public static Backend Named(string name) => name == Sqlite.Name ? Sqlite : name == Postgres.Name ? Postgres : throw new ArgumentException(name);

    public abstract string Name { get; }

    /// <summary>Creates fresh storage; the returned instance's settings go to the server (TINYSYNC_*).</summary>
    public abstract Task<BackendInstance> ProvisionAsync();

    public override string ToString() => Name;

    sealed class SqliteBackend : Backend
    {
        public override string Name => "sqlite";

        public override Task<BackendInstance> ProvisionAsync() => Task.FromResult<BackendInstance>(new SqliteInstance());
    }

    sealed class PostgresS3Backend : Backend
    {
        public override string Name => "postgres+s3";

        public override async Task<BackendInstance> ProvisionAsync()
        {
            var id = Guid.NewGuid().ToString("N");
            var database = await PostgresTestCluster.CreateDatabaseAsync("t_" + id);
            var bucket = "t-" + id;
            using (var s3 = TestS3.Client())
                await s3.PutBucketAsync(new PutBucketRequest { BucketName = bucket });
            return new PostgresS3Instance(database, bucket);
        }
    }
}

/// <summary>Storage provisioned for one test (or one group of nodes sharing it).</summary>
public abstract class BackendInstance : IAsyncDisposable
{
    /// <summary>Settings for the server: TINYSYNC_DATABASE, TINYSYNC_BLOB_STORE, ... (empty for SQLite).</summary>
    public abstract IReadOnlyDictionary<string, string> Settings { get; }

    /// <summary>Everything stored, as text: for "this secret is nowhere in storage" checks.</summary>
    public abstract Task<string> DumpAsync(string dataDir);

    public abstract ValueTask DisposeAsync();
}

sealed class SqliteInstance : BackendInstance
{
    public override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>();

    public override async Task<string> DumpAsync(string dataDir)
    {
        SqliteConnection.ClearAllPools();
        var text = new StringBuilder();
        foreach (var file in Directory.GetFiles(dataDir, "*", SearchOption.AllDirectories))
            text.AppendLine(Encoding.ASCII.GetString(await File.ReadAllBytesAsync(file)));
        return text.ToString();
    }

    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>A fresh PostgreSQL database and S3 bucket.</summary>
public sealed class PostgresS3Instance(string connectionString, string bucket) : BackendInstance
{
    public string ConnectionString { get; } = connectionString;
    public string Bucket { get; } = bucket;
    public string Prefix => "chunks";

    public override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["TINYSYNC_DATABASE"] = connectionString,
        ["TINYSYNC_BLOB_STORE"] = $"s3://{bucket}/chunks",
        ["TINYSYNC_S3_ENDPOINT"] = TestS3.Endpoint,
        ["AWS_ACCESS_KEY_ID"] = TestS3.AccessKey,
        ["AWS_SECRET_ACCESS_KEY"] = TestS3.SecretKey,
    };

    public override async Task<string> DumpAsync(string dataDir)
    {
        var text = new StringBuilder(await new SqliteInstance().DumpAsync(dataDir));
        await using var c = new NpgsqlConnection(ConnectionString);
        await c.OpenAsync();
        var tables = new List<string>();
        await using (var cmd = new NpgsqlCommand("SELECT tablename FROM pg_tables WHERE schemaname = 'public'", c))
        await using (var r = await cmd.ExecuteReaderAsync())
            while (await r.ReadAsync()) tables.Add(r.GetString(0));
        foreach (var t in tables)
        {
            await using var cmd = new NpgsqlCommand($"SELECT t::text FROM \"{t}\" t", c);
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync()) text.AppendLine(r.GetString(0));
        }
        return text.ToString();
    }

    public override async ValueTask DisposeAsync()
    {
        await PostgresTestCluster.DropDatabaseAsync(new NpgsqlConnectionStringBuilder(ConnectionString).Database!);
    }
}

/// <summary>The throwaway cluster started by ./test.sh (scripts/env/postgres.sh).</summary>
public static class PostgresTestCluster
{
    /// <summary>Connection string of the cluster's maintenance database; fails the test when ./test.sh did not start one.</summary>
    public static string AdminConnectionString => Environment.GetEnvironmentVariable("TINYSYNC_TEST_PG") is { Length: > 0 } cs
        ? cs
        : throw new InvalidOperationException(
            "TINYSYNC_TEST_PG is not set: the PostgreSQL tests need the throwaway cluster. Run ./test.sh (or `source scripts/test-env.sh; test_env_up` and export what it prints); these tests are never skipped.");

    /// <summary>Creates a database and returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync(string name)
    {
        await using (var c = new NpgsqlConnection(AdminConnectionString))
        {
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", c);
            await cmd.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name }.ConnectionString;
    }

    public static async Task DropDatabaseAsync(string name)
    {
        NpgsqlConnection.ClearAllPools();
        await using var c = new NpgsqlConnection(AdminConnectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", c);
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>Runs pg_ctl with <paramref name="args"/> (e.g. "restart -m fast") on the test cluster.</summary>
    public static async Task PgCtlAsync(string args)
    {
        var pgCtl = Environment.GetEnvironmentVariable("TINYSYNC_TEST_PG_CTL")
            ?? throw new InvalidOperationException("TINYSYNC_TEST_PG_CTL is not set: run ./test.sh");
        var psi = new System.Diagnostics.ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"{pgCtl} {args}");
        using var p = System.Diagnostics.Process.Start(psi)!;
        var output = await p.StandardOutput.ReadToEndAsync() + await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException($"pg_ctl {args} failed ({p.ExitCode}): {output}");
    }
}

/// <summary>The s3rver started by ./test.sh (scripts/env/s3.sh).</summary>
public static class TestS3
{
    /// <summary>s3rver's built-in credentials.</summary>
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";

    public static string Endpoint => Environment.GetEnvironmentVariable("TINYSYNC_TEST_S3_ENDPOINT") is { Length: > 0 } e
        ? e
        : throw new InvalidOperationException(
            "TINYSYNC_TEST_S3_ENDPOINT is not set: the S3 tests need the s3rver test server. Run ./test.sh (or `source scripts/test-env.sh; test_env_up`); these tests are never skipped.");

    /// <summary>Where s3rver keeps objects on disk.</summary>
    public static string Directory => Environment.GetEnvironmentVariable("TINYSYNC_TEST_S3_DIR")
        ?? throw new InvalidOperationException("TINYSYNC_TEST_S3_DIR is not set: run ./test.sh");

    public static AmazonS3Client Client() => new(new BasicAWSCredentials(AccessKey, SecretKey),
        new AmazonS3Config { ServiceURL = Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1" });

    /// <summary>A fresh bucket.</summary>
    public static async Task<string> CreateBucketAsync()
    {
        var bucket = "t-" + Guid.NewGuid().ToString("N");
        using var s3 = Client();
        await s3.PutBucketAsync(new PutBucketRequest { BucketName = bucket });
        return bucket;
    }
}
