using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TinySync.Server.Hosting;

namespace TinySync.Testing;

/// <summary>
/// A real TinySync server in this process: Kestrel on an ephemeral 127.0.0.1 port, a temp data dir, and the storage
/// of a <see cref="Testing.Backend"/> (SQLite by default; <c>StartAsync(Backend.Postgres)</c> gives a fresh PostgreSQL
/// database and S3 bucket). Stoppable and restartable on the same port and storage, so that clients holding its
/// address see refused connections and then the same data. Clients talk to it over real loopback HTTP.
/// </summary>
public sealed class TestServer : IRunningServer, IAsyncDisposable
{
    readonly TempDir? _ownedDir;
    readonly Dictionary<string, string?> _settings;
    readonly StringWriter _log = new();

    readonly BackendInstance _storage;
    readonly bool _ownsStorage = true;
    Action<IServiceCollection>? _services;
    int _port;
    bool _running;

    TestServer(string dataDir, TempDir? owned, Dictionary<string, string?> settings, Backend backend, BackendInstance storage, bool ownsStorage = true)
    {
        _ownsStorage = ownsStorage;
        DataDir = dataDir;
        _ownedDir = owned;
        _settings = settings;
        Backend = backend;
        _storage = storage;
    }

    /// <summary>The storage backend this server runs on.</summary>
    public Backend Backend { get; }

    /// <summary>The database and chunk store of this server (its TINYSYNC_* settings).</summary>
    public BackendInstance Storage => _storage;

    public const string AdminTokenValue = "tsadm_test-admin-token-0123456789abcdef";

    /// <summary>
    /// Throttling limits for test servers, set explicitly (decision 0222): the suites register hundreds of devices and
    /// present bad tokens on purpose, all from loopback, which the defaults do not exempt. Throttling tests set their own.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> TestLimits = new Dictionary<string, string>
    {
        ["TINYSYNC_REGISTRATIONS_PER_MINUTE"] = "1000000",
        ["TINYSYNC_AUTH_FAILURES_PER_ADDRESS_PER_MINUTE"] = "1000000",
        ["TINYSYNC_AUTH_FAILURES_PER_DEVICE_PER_MINUTE"] = "1000000",
    };

    public string DataDir { get; }
    public WebApplication App { get; private set; } = null!;
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The base address without the trailing '/', as the CLI and client identities hold it.</summary>
    public string Url => BaseAddress.ToString().TrimEnd('/');
    public string AdminToken => _settings.GetValueOrDefault("TINYSYNC_ADMIN_TOKEN") ?? File.ReadAllText(Path.Combine(DataDir, "admin-token")).Trim();

    /// <summary>Everything the server logged, for leak checks.</summary>
    public string LogText => _log.ToString();

    /// <summary>A server on SQLite and local chunks.</summary>
    public static Task<TestServer> StartAsync(Action<Dictionary<string, string?>>? configure = null, string? dataDir = null) =>
        StartAsync(Backend.Sqlite, configure, dataDir);

    /// <summary>A server on fresh storage of <paramref name="backend"/>; the storage is dropped on dispose.</summary>
    public static Task<TestServer> StartAsync(Backend backend, Action<Dictionary<string, string?>>? configure = null, string? dataDir = null) =>
        StartAsync(backend, configure, services: null, dataDir);

    /// <summary>
    /// A server whose services are changed by <paramref name="services"/> after the server's own registrations (the
    /// last registration wins): for injecting a fault a real part cannot produce on demand.
    /// </summary>
    public static async Task<TestServer> StartAsync(Backend backend, Action<Dictionary<string, string?>>? configure,
        Action<IServiceCollection>? services, string? dataDir = null)
    {
        var owned = dataDir is null ? new TempDir("tinysync-server") : null;
        var storage = await backend.ProvisionAsync();
        var settings = new Dictionary<string, string?> { ["TINYSYNC_ADMIN_TOKEN"] = AdminTokenValue };
        foreach (var (k, v) in TestLimits) settings[k] = v;
        foreach (var (k, v) in storage.Settings) settings[k] = v;
        configure?.Invoke(settings);
        var server = new TestServer(dataDir ?? owned!.Sub("data"), owned, settings, backend, storage) { _services = services };
        try
        {
            await server.StartCoreAsync();
        }
        catch
        {
            await storage.DisposeAsync();
            owned?.Dispose();
            throw;
        }
        return server;
    }

    /// <summary>
    /// Another node on storage provisioned by the caller (several nodes on one PostgreSQL and bucket); the caller
    /// disposes the storage after the nodes.
    /// </summary>
    public static async Task<TestServer> StartNodeAsync(BackendInstance storage, Action<Dictionary<string, string?>>? configure = null)
    {
        var owned = new TempDir("tinysync-node");
        var settings = new Dictionary<string, string?> { ["TINYSYNC_ADMIN_TOKEN"] = AdminTokenValue };
        foreach (var (k, v) in TestLimits) settings[k] = v;
        foreach (var (k, v) in storage.Settings) settings[k] = v;
        configure?.Invoke(settings);
        var server = new TestServer(owned.Sub("data"), owned, settings, Backend.Postgres, storage, ownsStorage: false);
        try
        {
            await server.StartCoreAsync();
        }
        catch
        {
            owned.Dispose();
            throw;
        }
        return server;
    }

    /// <summary>The server's chunk store (local files or S3).</summary>
    public TinySync.Server.Blobs.IChunkStore ChunkStore => App.Services.GetRequiredService<TinySync.Server.Blobs.IChunkStore>();

    /// <summary>True when the chunk's bytes are in the chunk store.</summary>
    public Task<bool> ChunkStoredAsync(string hash) => ChunkStore.ExistsAsync(hash, default);

    /// <summary>Replaces a stored chunk's bytes behind the server's back (storage corruption).</summary>
    public async Task OverwriteStoredChunkAsync(string hash, byte[] bytes)
    {
        switch (ChunkStore)
        {
            case TinySync.Server.Blobs.LocalChunkStore local:
                await File.WriteAllBytesAsync(local.PathOf(hash), bytes);
                break;
            case TinySync.Server.Blobs.S3ChunkStore s3:
                using (var raw = TestS3.Client())
                    await raw.PutObjectAsync(new Amazon.S3.Model.PutObjectRequest
                    {
                        BucketName = s3.Bucket, Key = s3.KeyOf(hash), InputStream = new MemoryStream(bytes), UseChunkEncoding = false,
                    });
                break;
            default:
                throw new NotSupportedException(ChunkStore.GetType().Name);
        }
    }

    /// <summary>Removes a stored chunk's bytes behind the server's back (lost object).</summary>
    public Task DeleteStoredChunkAsync(string hash) => ChunkStore.DeleteAsync(hash, default);

    /// <summary>Everything this server stored (database rows or files) as text, for leak checks.</summary>
    public Task<string> DumpStorageAsync() => _storage.DumpAsync(DataDir);

    async Task StartCoreAsync()
    {
        var args = new List<string> { $"--urls=http://127.0.0.1:{_port}", $"--TINYSYNC_DATA_DIR={DataDir}" };
        foreach (var (k, v) in _settings) if (v is not null) args.Add($"--{k}={v}");
        App = await TinySyncServer.BuildAsync([.. args], b =>
        {
            b.Logging.AddProvider(new WriterLoggerProvider(_log));
            _services?.Invoke(b.Services);
        });
        await App.StartAsync();
        _running = true;
        var address = App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address + "/");
        _port = BaseAddress.Port;
    }

    /// <summary>Stops the server (clients now see "connection refused").</summary>
    public async Task StopAsync()
    {
        if (!_running) return;
        _running = false;
        await App.StopAsync();
        await App.DisposeAsync();
    }

    /// <summary>Starts it again on the same port, data directory and storage.</summary>
    public Task StartAgainAsync() => StartCoreAsync();

    /// <summary>Stops and starts the server on the same port, data directory and storage.</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        await StartCoreAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (_ownsStorage) await _storage.DisposeAsync();
        _ownedDir?.Dispose();
    }
}
