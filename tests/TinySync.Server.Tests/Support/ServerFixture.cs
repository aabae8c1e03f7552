namespace TinySync.Server.Tests.Support;

/// <summary>One real server shared by the tests of a class; each test isolates itself with a fresh vault and device.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public TestServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
