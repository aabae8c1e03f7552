namespace TinySync.Server.Tests.Support;

/// <summary>
/// One server shared by the tests of a class (IClassFixture) whose tests do not interfere: each test makes its
/// own devices, vaults and group ids, and none changes server-wide state.
/// </summary>
public class SharedServer : IAsyncLifetime
{
    public TestServer Server { get; private set; } = null!;

    /// <summary>The backend of the shared server; <see cref="PostgresSharedServer"/> runs the class on PostgreSQL + S3.</summary>
    public virtual Backend Backend => Backend.Sqlite;

    public async Task InitializeAsync() => Server = await TestServer.StartAsync(Backend);

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>The shared server on a fresh PostgreSQL database and S3 bucket (signals over LISTEN/NOTIFY).</summary>
public sealed class PostgresSharedServer : SharedServer
{
    public override Backend Backend => Backend.Postgres;
}
