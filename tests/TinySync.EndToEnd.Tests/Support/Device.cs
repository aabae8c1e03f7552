using TinySync.Client.Api;
using TinySync.Client.Engine;
using TinySync.Client.FileSystem;
using TinySync.Client.State;
using TinySync.Core.Contracts;

namespace TinySync.EndToEnd.Tests.Support;

/// <summary>A client device driven through the library: its own state directory and folder.</summary>
public sealed class Device : IDisposable
{
    readonly TempDir _dir = new("tinysync-e2e-device");
    readonly List<string> _messages = [];
    readonly Lock _retryGate = new();
    TaskCompletionSource _nextRetry = new(TaskCreationOptions.RunContinuationsAsynchronously);
    int _retries;

    Device(string name) => Name = name;

    public string Name { get; }
    public string Home => _dir.Sub("home");
    public string Folder => _dir.Sub("folder");
    public StateDirectory State => new(Home);
    public ClientIdentity Identity { get; private set; } = null!;
    public Link Link { get; private set; } = null!;
    public SyncStats Stats { get; } = new();
    public IFileSystem FileSystem { get; set; } = RealFileSystem.Instance;
    /// <summary>When set, the engine's HTTP goes through this handler (to count or refuse requests).</summary>
    public HttpMessageHandler? Handler { get; set; }
    public IReadOnlyList<string> Messages { get { lock (_messages) return [.. _messages]; } }

    /// <summary>Retries the engines of this device announced (their API client's <c>Retrying</c> event).</summary>
    public int Retries { get { lock (_retryGate) return _retries; } }

    /// <summary>
    /// Waits until this device's engines have announced <paramref name="count"/> retries in all — a request failed and
    /// the client is waiting to try again — or until <paramref name="until"/> ends (a sync that finished or failed
    /// without retrying: awaiting it tells the test which). Times out after <paramref name="timeout"/>.
    /// </summary>
    public async Task WaitForRetriesAsync(int count, Task until, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            Task next;
            lock (_retryGate)
            {
                if (_retries >= count) return;
                next = _nextRetry.Task;
            }
            if (await Task.WhenAny(next, until).WaitAsync(cts.Token) == until) return;
        }
    }

    void OnRetrying(RetryNotice notice)
    {
        TaskCompletionSource announced;
        lock (_retryGate)
        {
            _retries++;
            announced = _nextRetry;
            _nextRetry = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        announced.TrySetResult();
    }

    public static async Task<Device> CreateAsync(TestServer server, Guid vault, string name)
    {
        var d = new Device(name);
        Directory.CreateDirectory(d.Folder);
        var reg = await server.RegisterAsync(name);
        await server.GrantAsync(reg.DeviceId, vault);
        d.Identity = new ClientIdentity { Server = server.Url, DeviceId = reg.DeviceId, Token = reg.Token, DisplayName = name };
        d.State.SaveIdentity(d.Identity);
        d.Link = d.State.AddLink(vault, null, "default", d.Folder);
        return d;
    }

    /// <summary>A device for an already registered identity (e.g. on a server process).</summary>
    public static Device For(string url, DeviceRegistered reg, Guid vault, string name)
    {
        var d = new Device(name);
        Directory.CreateDirectory(d.Folder);
        d.Identity = new ClientIdentity { Server = url, DeviceId = reg.DeviceId, Token = reg.Token, DisplayName = name };
        d.State.SaveIdentity(d.Identity);
        d.Link = d.State.AddLink(vault, null, "default", d.Folder);
        return d;
    }

    public LinkSync Engine(RetryPolicy? retry = null)
    {
        var api = new DeviceApiClient(Identity.Server, Identity.Token, retry ?? new RetryPolicy(3, TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(200)), Handler);
        api.Retrying += OnRetrying;
        return new LinkSync(Link, State.LinkStateDirectory(Link), api, Name, FileSystem, new Observer(this), Stats);
    }

    public async Task<LinkResult> SyncAsync(RetryPolicy? retry = null)
    {
        using var engine = Engine(retry);
        return await engine.SyncAsync();
    }

    public async Task SyncConvergedAsync()
    {
        var r = await SyncAsync();
        r.Converged.ShouldBeTrue($"{Name} did not converge: {string.Join("; ", r.Pending)} / {string.Join("; ", Messages)}");
    }

    public string PathOf(string rel) => System.IO.Path.Combine(Folder, rel);

    public void Write(string rel, string content)
    {
        var p = PathOf(rel);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(p)!);
        File.WriteAllText(p, content);
    }

    public string Read(string rel) => File.ReadAllText(PathOf(rel));

    public bool Exists(string rel) => File.Exists(PathOf(rel)) || Directory.Exists(PathOf(rel));

    /// <summary>Every file and directory under the folder with its content (directories as "/").</summary>
    public SortedDictionary<string, string> Snapshot()
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var e in Directory.EnumerateFileSystemEntries(Folder, "*", SearchOption.AllDirectories))
        {
            var rel = System.IO.Path.GetRelativePath(Folder, e).Replace('\\', '/');
            result[rel] = Directory.Exists(e) ? "/" : Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(e)));
        }
        return result;
    }

    public void Dispose() => _dir.Dispose();

    sealed class Observer(Device d) : ISyncObserver
    {
        public void Message(MessageLevel level, string text)
        {
            lock (d._messages) d._messages.Add($"{level}: {text}");
        }

        public void Progress(string phase, long done, long total) { }
    }
}
