using TinySync.Client.Api;
using TinySync.Client.Engine;
using TinySync.Client.FileSystem;
using TinySync.Client.Index;
using TinySync.Client.Scanning;
using TinySync.Client.State;
using TinySync.Client.Status;

namespace TinySync.Client.Daemon;

/// <summary>Daemon settings.</summary>
public sealed record DaemonOptions
{
    /// <summary>Quiet time after the last file-system event of a burst before a cycle starts.</summary>
    public TimeSpan Debounce { get; init; } = TimeSpan.FromMilliseconds(50);
    /// <summary>
    /// Quiet time after a single quick change: when every event since the folder was last quiet came within this time
    /// of the first (one file saved), the cycle starts once the folder has been quiet this long, not <see cref="Debounce"/>
    /// (decision 0444).
    /// </summary>
    public TimeSpan QuickDebounce { get; init; } = TimeSpan.FromMilliseconds(10);
    /// <summary>Safety-net full cycle interval (catches anything the watcher missed).</summary>
    public TimeSpan Rescan { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>Log polling interval while the hint stream is down.</summary>
    public TimeSpan PollWhileDisconnected { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>How often a paused link re-reads its pause marker when no <c>wake</c> arrives on the control socket.</summary>
    public TimeSpan PauseRecheck { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>Answer on the control socket of the state directory (decision 0450); off for in-process test daemons.</summary>
    public bool ControlSocket { get; init; } = true;
}

/// <summary>
/// Syncs every link continuously: a file-system watcher (debounced) and the server's wake-hint stream trigger cycles,
/// a periodic full rescan is the safety net, and the log is polled while the stream is down. Transient failures are
/// retried with backoff; a revoked device stops the daemon with <see cref="DeviceRevokedException"/>.
/// </summary>
public sealed class SyncDaemon(StateDirectory state, ClientIdentity identity, ISyncObserver observer, DaemonOptions? options = null,
    IFileSystem? fs = null, SyncStats? stats = null)
{
    readonly DaemonOptions _options = options ?? new DaemonOptions();
    readonly StateDirectory _state = state;
    readonly ClientIdentity _identity = identity;
    readonly ISyncObserver _observer = observer;
    readonly IFileSystem? _fs = fs;

    /// <summary>Counters shared by every link.</summary>
    public SyncStats Stats { get; } = stats ?? new SyncStats();

    HintStream? _stream;

    /// <summary>Whether the wake-hint stream is connected and subscribed right now.</summary>
    public bool StreamConnected => _stream?.Connected ?? false;

    /// <summary>Raised after each completed cycle of a link (tests, latency measurement).</summary>
    public event Action<Link, LinkResult>? CycleCompleted;

    /// <summary>Runs until cancelled; throws <see cref="DeviceRevokedException"/> when the device is revoked.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        var links = _state.LoadLinks();
        if (links.Count == 0) throw new ClientException("no_links", "no folder is linked; run `tinysync link VAULT DIR` first");
        using var api = DeviceApiClient.For(_identity, RetryPolicy.Default);
        api.Retrying += _observer.Retrying;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Worker[] workers = [];
        // first, so a second daemon of the same state directory stops before touching any index
        await using var control = _options.ControlSocket
            ? await ControlServer.StartAsync(_state, r => Answer(r, workers), _observer, ct).ConfigureAwait(false)
            : null;
        workers = [.. links.Select(l => new Worker(this, l, api))];
        var stream = _stream = new HintStream(_identity.Server, _identity.Token, links.Select(l => l.VaultId).Distinct().ToList(), _observer);
        stream.Hint += (vault, head) =>
        {
            foreach (var w in workers) if (w.Link.VaultId == vault) w.Wake(head);
        };
        Exception? fatal = null;
        var tasks = new List<Task>();
        tasks.Add(Guard(stream.RunAsync(stop.Token)));
        foreach (var w in workers) tasks.Add(Guard(w.RunAsync(() => stream.Connected, stop.Token)));
        _observer.Message(MessageLevel.Info, $"watching {links.Count} folder(s) for {_identity.DisplayName} at {_identity.Server}");
        await Task.WhenAll(tasks).ConfigureAwait(false);
        foreach (var w in workers) w.Dispose();
        if (fatal is not null) throw fatal;

        async Task Guard(Task t)
        {
            try
            {
                await t.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested) { }
            catch (Exception e)
            {
                fatal ??= e;
                await stop.CancelAsync().ConfigureAwait(false);
            }
        }
    }

    static ControlResponse Answer(ControlRequest request, Worker[] workers)
    {
        switch (request.Op)
        {
            case "status":
                return new ControlResponse(Environment.ProcessId, [.. workers.Select(w => new DaemonLinkState(w.Link.LinkId, w.State, w.Activity.InFlight))]);
            case "wake":
                foreach (var w in workers) if (request.LinkId is null || w.Link.LinkId == request.LinkId) w.Wake(-1);
                return new ControlResponse(Environment.ProcessId, []);
            default:
                return new ControlResponse(Environment.ProcessId, [], $"unknown op '{request.Op}' (status, wake)");
        }
    }

    sealed class Worker : IDisposable
    {
        readonly SyncDaemon _d;
        readonly LinkSync _engine;
        readonly FileSystemWatcher? _watcher;
        readonly SemaphoreSlim _signal = new(0);
        long _wantedHead;
        long _cursor; // last applied seq, cached: the index connection belongs to the worker's thread of control
        int _dirty;
        long _firstEventTicks, _lastEventTicks; // UTC ticks of the first and last watcher events since the last cycle began
        volatile string _state = "idle";

        public Worker(SyncDaemon d, Link link, IDeviceApi api)
        {
            _d = d;
            Link = link;
            Activity = new LinkActivity(d._observer);
            _engine = new LinkSync(link, d._state.LinkStateDirectory(link), api, d._identity.DisplayName, d._fs, Activity, d.Stats);
            try
            {
                _watcher = new FileSystemWatcher(link.Directory)
                {
                    IncludeSubdirectories = true,
                    NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.Attributes,
                    InternalBufferSize = 64 * 1024,
                };
                _watcher.Changed += OnEvent;
                _watcher.Created += OnEvent;
                _watcher.Deleted += OnEvent;
                _watcher.Renamed += OnEvent;
                _watcher.Error += (_, _) => Kick(); // overflow: a full cycle catches up
                _watcher.EnableRaisingEvents = true;
            }
            catch (Exception e) when (e is IOException or ArgumentException or PlatformNotSupportedException)
            {
                d._observer.Message(MessageLevel.Warning, $"cannot watch {link.Directory} ({e.Message}); relying on periodic rescans");
            }
        }

        public Link Link { get; }

        /// <summary>What the link is doing now, for the control socket.</summary>
        public LinkActivity Activity { get; }

        /// <summary>syncing, idle, paused or retrying.</summary>
        public string State => _state;

        void OnEvent(object sender, FileSystemEventArgs e)
        {
            if (IgnoreRules.IsBuiltIn(Path.GetFileName(e.FullPath))) return;
            var now = DateTime.UtcNow.Ticks;
            Interlocked.CompareExchange(ref _firstEventTicks, now, 0);
            Interlocked.Exchange(ref _lastEventTicks, now);
            Kick();
        }

        public void Wake(long head)
        {
            if (head < 0 || head > Interlocked.Read(ref _cursor))
            {
                Interlocked.Exchange(ref _wantedHead, Math.Max(Interlocked.Read(ref _wantedHead), head));
                Kick();
            }
        }

        void Kick()
        {
            if (Interlocked.Exchange(ref _dirty, 1) == 0) _signal.Release();
        }

        public async Task RunAsync(Func<bool> streamConnected, CancellationToken ct)
        {
            var backoff = TimeSpan.FromMilliseconds(200);
            var nextRescan = DateTime.UtcNow; // first cycle at once
            var paused = false;
            while (!ct.IsCancellationRequested)
            {
                // paused (decision 0452): no round starts; a `wake` on the control socket, or the periodic re-read,
                // notices the resume, and the link then syncs at once
                if (_d._state.IsPaused(Link))
                {
                    if (!paused) _d._observer.Message(MessageLevel.Notice, $"{Link.Directory}: paused; `tinysync resume {Link.Directory}` to continue");
                    paused = true;
                    _state = "paused";
                    await _signal.WaitAsync(_d._options.PauseRecheck, ct).ConfigureAwait(false);
                    Interlocked.Exchange(ref _dirty, 0); // the next event or wake releases the signal again
                    continue;
                }
                if (paused)
                {
                    paused = false;
                    _state = "idle";
                    nextRescan = DateTime.UtcNow;
                    _d._observer.Message(MessageLevel.Notice, $"{Link.Directory}: resumed");
                }
                var now = DateTime.UtcNow;
                var wait = nextRescan - now;
                if (!streamConnected() && wait > _d._options.PollWhileDisconnected) wait = _d._options.PollWhileDisconnected;
                if (wait > TimeSpan.Zero) await _signal.WaitAsync(wait, ct).ConfigureAwait(false);
                await SettleAsync(ct).ConfigureAwait(false);
                Interlocked.Exchange(ref _dirty, 0);
                if (_d._state.IsPaused(Link)) continue; // paused while waiting: no round starts
                _state = "syncing";
                Activity.Begin();
                try
                {
                    var result = await _engine.SyncAsync(ct: ct).ConfigureAwait(false);
                    _d._state.RecordCycle(Link, _engine, Activity.Complete(result));
                    _state = "idle";
                    Interlocked.Exchange(ref _cursor, _engine.Index.Cursor);
                    backoff = TimeSpan.FromMilliseconds(200);
                    _d.CycleCompleted?.Invoke(Link, result);
                    if (!result.Converged)
                    {
                        foreach (var p in result.Pending.Take(5)) _d._observer.Message(MessageLevel.Warning, $"{Link.Directory}: {p}");
                        nextRescan = DateTime.UtcNow + TimeSpan.FromSeconds(5);
                        continue;
                    }
                }
                catch (ClientException e) when (e is ServerUnavailableException or IndexUnavailableException)
                {
                    Failed(e);
                    _d._observer.Message(MessageLevel.Warning, e.Message + $" (next try in {backoff.TotalSeconds:0.#} s)");
                    await Task.Delay(backoff, ct).ConfigureAwait(false);
                    backoff = TimeSpan.FromMilliseconds(Math.Min(30_000, backoff.TotalMilliseconds * 2));
                    Kick();
                    continue;
                }
                catch (ClientException e) when (e is ApiProblemException or ServerInconsistentException)
                {
                    Failed(e);
                    _d._observer.Message(MessageLevel.Warning, $"{Link.Directory}: {e.Message}; will retry");
                    nextRescan = DateTime.UtcNow + TimeSpan.FromSeconds(30);
                    continue;
                }
                nextRescan = DateTime.UtcNow + _d._options.Rescan;
            }
        }

        /// <summary>
        /// Waits until the folder has been quiet long enough (decision 0444): <see cref="DaemonOptions.QuickDebounce"/>
        /// after a single quick change, <see cref="DaemonOptions.Debounce"/> after a burst; then forgets the events, which
        /// the cycle about to start sees on disk.
        /// </summary>
        async Task SettleAsync(CancellationToken ct)
        {
            while (Interlocked.Read(ref _lastEventTicks) is var last and > 0)
            {
                var quick = last - Interlocked.Read(ref _firstEventTicks) < _d._options.QuickDebounce.Ticks;
                var wait = (quick ? _d._options.QuickDebounce : _d._options.Debounce) - TimeSpan.FromTicks(DateTime.UtcNow.Ticks - last);
                if (wait <= TimeSpan.Zero) break;
                await Task.Delay(wait, ct).ConfigureAwait(false);
            }
            // events from here on belong to the next cycle (the one starting reads the disk after this)
            Interlocked.Exchange(ref _firstEventTicks, 0);
            Interlocked.Exchange(ref _lastEventTicks, 0);
        }

        void Failed(ClientException e)
        {
            _state = "retrying";
            _d._state.SaveLastSync(Link, Activity.Failed(e.Message));
        }

        public void Dispose()
        {
            _watcher?.Dispose();
            _engine.Dispose();
            _signal.Dispose();
        }
    }
}
