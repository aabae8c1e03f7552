namespace TinySync.Reliability.Tests.Harness;

/// <summary>
/// The real server (in this process, Kestrel on a loopback port, SQLite and chunks in a temp data dir) shared by a run
/// of scenarios; every scenario gets its own vault and devices. A restart stops the host and starts a new one on the
/// same port and data directory, so clients see refused and reset connections and then the same data.
/// </summary>
public sealed class ServerHost : IAsyncDisposable
{
    readonly SemaphoreSlim _gate = new(1, 1);

    ServerHost(TestServer server) => Server = server;

    public TestServer Server { get; }

    public string Url => Server.Url;

    public static async Task<ServerHost> StartAsync() => new(await TestServer.StartAsync());

    public async Task RestartAsync()
    {
        await _gate.WaitAsync();
        try
        {
            await Server.StopAsync();
            await Server.StartAgainAsync();
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        _gate.Dispose();
    }
}

/// <summary>One shared server per test class.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public ServerHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await ServerHost.StartAsync();

    public async Task DisposeAsync() => await Host.DisposeAsync();
}
