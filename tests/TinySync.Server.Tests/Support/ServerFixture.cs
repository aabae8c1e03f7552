namespace TinySync.Server.Tests.Support;

/// <summary>
/// One real server shared by the tests of a class; each test isolates itself with a fresh vault and device.
/// On SQLite; <see cref="PostgresServerFixture"/> runs the same class on PostgreSQL + S3 (the conformance suite:
/// <c>class XTests_Postgres(PostgresServerFixture f) : XTests(f), IClassFixture&lt;PostgresServerFixture&gt;</c>).
/// </summary>
public class ServerFixture : IAsyncLifetime
{
    public TestServer Server { get; private set; } = null!;

    /// <summary>The backend the shared server runs on.</summary>
    public virtual Backend Backend => Backend.Sqlite;

    public async Task InitializeAsync() => Server = await TestServer.StartAsync(Backend);

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>The shared server on a fresh PostgreSQL database and S3 bucket.</summary>
public sealed class PostgresServerFixture : ServerFixture
{
    public override Backend Backend => Backend.Postgres;
}
