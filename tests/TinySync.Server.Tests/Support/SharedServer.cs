namespace TinySync.Server.Tests.Support;

/// <summary>
/// One real server shared by the tests of a class (IClassFixture) whose tests do not interfere: each test makes its
/// own devices, vaults and group ids, and none changes server-wide state. On SQLite; <see cref="PostgresSharedServer"/>
/// runs the same class on PostgreSQL + S3 (the conformance suite:
/// <c>class XTests_Postgres(PostgresSharedServer f) : XTests(f), IClassFixture&lt;PostgresSharedServer&gt;</c>).
/// </summary>
public class SharedServer : IAsyncLifetime
{
    public TestServer Server { get; private set; } = null!;

    /// <summary>The backend of the shared server.</summary>
    public virtual Backend Backend => Backend.Sqlite;

    public async Task InitializeAsync() => Server = await TestServer.StartAsync(Backend);

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>The shared server on a fresh PostgreSQL database and S3 bucket (signals over LISTEN/NOTIFY).</summary>
public sealed class PostgresSharedServer : SharedServer
{
    public override Backend Backend => Backend.Postgres;
}

/// <summary>The <see cref="SharedServer"/> under the name part of the suite uses (one implementation, two names).</summary>
public class ServerFixture : SharedServer;

/// <summary>The <see cref="PostgresSharedServer"/> under the name part of the suite uses.</summary>
public sealed class PostgresServerFixture : ServerFixture
{
    public override Backend Backend => Backend.Postgres;
}
