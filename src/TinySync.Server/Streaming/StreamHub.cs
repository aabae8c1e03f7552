using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Threading.Channels;
using TinySync.Core.Contracts;
using TinySync.Core.Identity;
using TinySync.Server.Signals;
using TinySync.Server.Storage;

namespace TinySync.Server.Streaming;

/// <summary>
/// All open streams of this node, indexed by vault (a commit fans out in O(subscribers)) and by device (a
/// revocation closes every stream of the device at once). Listens to <see cref="ISignalBus"/>: commits become hints,
/// revocations close with 4401, access changes trigger a re-check of every subscription, batched per device; a
/// periodic re-check covers a missed signal. On shutdown every stream is closed with 1001.
/// </summary>
internal sealed class StreamHub : BackgroundService
{
    readonly IStore _store;
    readonly ISignalBus _signals;
    readonly StreamOptions _options;
    readonly StreamMetrics _metrics;
    readonly ILogger<StreamHub> _log;
    readonly ConcurrentDictionary<Guid, ConcurrentDictionary<StreamConnection, byte>> _byVault = new();
    readonly ConcurrentDictionary<Guid, ConcurrentDictionary<StreamConnection, byte>> _byDevice = new();
    readonly Lock _indexGate = new();
    readonly Channel<bool> _recheck = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    long _accessEpoch;
    int _open;
    volatile bool _stopping;

    public StreamHub(IStore store, ISignalBus signals, StreamOptions options, StreamMetrics metrics, IHostApplicationLifetime lifetime, ILogger<StreamHub> log)
    {
        _store = store;
        _signals = signals;
        _options = options;
        _metrics = metrics;
        _log = log;
        signals.Committed += OnCommitted;
        signals.Revoked += OnRevoked;
        signals.AccessChanged += OnAccessChanged;
        // Before Kestrel waits for open requests to finish: close the streams so shutdown does not hang on them.
        lifetime.ApplicationStopping.Register(CloseAllForShutdown);
    }

    /// <summary>Open streams on this node.</summary>
    public int OpenCount => Volatile.Read(ref _open);

    /// <summary>A snapshot of the open streams (for tests and diagnostics).</summary>
    public IReadOnlyList<StreamConnection> Connections() => [.. _byDevice.Values.SelectMany(d => d.Keys)];

    /// <summary>The streams of one device (for tests and diagnostics).</summary>
    public IReadOnlyList<StreamConnection> ConnectionsOf(Guid deviceId) =>
        _byDevice.TryGetValue(deviceId, out var set) ? [.. set.Keys] : [];

    /// <summary>Runs one accepted WebSocket as a stream until it ends.</summary>
    public async Task RunAsync(Guid deviceId, WebSocket ws)
    {
        var connection = new StreamConnection(deviceId, ws, _options, _metrics, _log);
        AddTo(_byDevice, deviceId, connection);
        Interlocked.Increment(ref _open);
        _metrics.Opened();
        StreamLog.Opened(_log, DeviceToken.Redact(deviceId));
        try
        {
            if (_stopping) connection.RequestClose(WebSocketCloseStatus.EndpointUnavailable, "the server is shutting down", "shutdown");
            else
            {
                // A revocation between authentication and registration above would be missed: look once more.
                try
                {
                    if (await IsRevokedAsync(deviceId).ConfigureAwait(false)) CloseRevoked(connection);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    StreamLog.SubscribeFailed(_log, e, DeviceToken.Redact(deviceId));
                    connection.RequestClose(WebSocketCloseStatus.InternalServerError, "the server could not check the device; reconnect in a few seconds", "server_error");
                }
            }
            await connection.RunAsync(SubscribeAsync).ConfigureAwait(false);
        }
        finally
        {
            Unregister(connection);
            Interlocked.Decrement(ref _open);
            _metrics.Closed();
            if (connection.DropReason is { } reason) _metrics.Dropped(reason);
            StreamLog.Ended(_log, DeviceToken.Redact(deviceId), connection.DropReason ?? "closed by the client");
        }
    }

    async Task<bool> IsRevokedAsync(Guid deviceId)
    {
        var credential = await _store.FindCredentialAsync(deviceId, CancellationToken.None).ConfigureAwait(false);
        return credential is null || credential.RevokedAt is not null;
    }

    void Unregister(StreamConnection connection)
    {
        foreach (var vault in connection.Subscriptions()) RemoveFromIndex(vault, connection);
        RemoveFrom(_byDevice, connection.DeviceId, connection);
    }

    void AddToIndex(Guid vault, StreamConnection connection) => AddTo(_byVault, vault, connection);

    void RemoveFromIndex(Guid vault, StreamConnection connection) => RemoveFrom(_byVault, vault, connection);

    // Structural changes (a set appears or an empty one goes) take one lock, so an add can never land in a set that
    // is being dropped; readers (commit fan-out, revocation) stay lock-free. Adds and removes happen per stream open,
    // close and subscribe, not per commit.
    void AddTo(ConcurrentDictionary<Guid, ConcurrentDictionary<StreamConnection, byte>> index, Guid key, StreamConnection connection)
    {
        lock (_indexGate) index.GetOrAdd(key, static _ => new()).TryAdd(connection, 0);
    }

    void RemoveFrom(ConcurrentDictionary<Guid, ConcurrentDictionary<StreamConnection, byte>> index, Guid key, StreamConnection connection)
    {
        lock (_indexGate)
        {
            if (!index.TryGetValue(key, out var set)) return;
            set.TryRemove(connection, out _);
            if (set.IsEmpty) index.TryRemove(key, out _);
        }
    }

    // ---- Subscribe ----------------------------------------------------------------------------------------------

    async Task<SubscribeOutcome> SubscribeAsync(StreamConnection connection, IReadOnlyList<string> ids, CancellationToken ct)
    {
        var epoch = Interlocked.Read(ref _accessEpoch);
        HashSet<Guid> wellFormed = [];
        foreach (var raw in ids)
            if (StreamProtocol.TryParseId(raw, out var candidate)) wellFormed.Add(candidate);
        var reachable = await ReachableAmongAsync(connection.DeviceId, wellFormed, ct).ConfigureAwait(false);
        List<Guid> accepted = [];
        List<string> denied = [];
        HashSet<Guid> seen = [];
        foreach (var raw in ids)
        {
            // Unknown, unreachable and malformed ids are denied alike, so vault ids are not confirmed to outsiders.
            if (StreamProtocol.TryParseId(raw, out var id) && reachable.Contains(id))
            {
                if (seen.Add(id)) accepted.Add(id);
            }
            else denied.Add(raw);
        }
        if (connection.SubscriptionCount + connection.CountNew(accepted) > _options.MaxSubscriptions) return SubscribeOutcome.TooMany;

        var sent = connection.AddSubscriptionsAndReply(accepted, StreamProtocol.Subscribed(accepted, denied));
        foreach (var vault in accepted)
        {
            AddToIndex(vault, connection);
            // A re-check may have dropped it between the two steps; never leave an index entry behind.
            if (!connection.IsSubscribed(vault)) RemoveFromIndex(vault, connection);
        }
        // Access shrank while we looked: check again, so a subscription never outlives its access.
        if (Interlocked.Read(ref _accessEpoch) != epoch) await RecheckDeviceAsync(connection.DeviceId, [connection], checkRevoked: false, ct).ConfigureAwait(false);
        await sent.WaitAsync(ct).ConfigureAwait(false); // one reply in flight per stream: the client cannot pile them up
        return SubscribeOutcome.Answered;
    }

    /// <summary>Which of <paramref name="candidates"/> the device reaches: one access query per vault for a few
    /// vaults (the common case: a device streams the handful of vaults it syncs), else one query for the device's
    /// whole reachable set.</summary>
    async Task<HashSet<Guid>> ReachableAmongAsync(Guid deviceId, IReadOnlyCollection<Guid> candidates, CancellationToken ct)
    {
        HashSet<Guid> reachable = [];
        if (candidates.Count == 0) return reachable;
        if (candidates.Count <= FewVaults)
        {
            foreach (var vault in candidates)
                if (await _store.CanAccessAsync(deviceId, vault, ct).ConfigureAwait(false)) reachable.Add(vault);
            return reachable;
        }
        var me = await _store.GetMeAsync(deviceId, ct).ConfigureAwait(false);
        if (me is null) return reachable;
        foreach (var vault in me.Vaults)
            if (candidates.Contains(vault.VaultId)) reachable.Add(vault.VaultId);
        return reachable;
    }

    const int FewVaults = 4;

    // ---- Signals ------------------------------------------------------------------------------------------------

    void OnCommitted(Guid vault, long head)
    {
        if (!_byVault.TryGetValue(vault, out var set)) return;
        foreach (var (connection, _) in set) connection.OfferHint(vault, head);
    }

    void OnRevoked(Guid deviceId)
    {
        if (!_byDevice.TryGetValue(deviceId, out var set)) return;
        var count = 0;
        foreach (var (connection, _) in set)
        {
            CloseRevoked(connection);
            count++;
        }
        if (count > 0) StreamLog.ClosedRevoked(_log, count, DeviceToken.Redact(deviceId));
    }

    void CloseRevoked(StreamConnection connection)
    {
        // Stop hints at once (index), then close; a reader that does not take the close frame is aborted.
        foreach (var vault in connection.Subscriptions()) RemoveFromIndex(vault, connection);
        connection.RequestClose((WebSocketCloseStatus)StreamCloseCodes.Revoked, "device revoked", "revoked");
    }

    void OnAccessChanged()
    {
        Interlocked.Increment(ref _accessEpoch);
        _recheck.Writer.TryWrite(true);
    }

    void CloseAllForShutdown()
    {
        _stopping = true;
        var all = Connections();
        if (all.Count > 0) StreamLog.ShuttingDown(_log, all.Count);
        foreach (var connection in all)
            connection.RequestClose(WebSocketCloseStatus.EndpointUnavailable, "the server is shutting down", "shutdown");
    }

    /// <summary>The re-check loop: on every access signal at once, and at least every <see cref="StreamOptions.RecheckInterval"/>.</summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var signalled = false;
            using (var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
            {
                wait.CancelAfter(_options.RecheckInterval);
                try
                {
                    await _recheck.Reader.ReadAsync(wait.Token).ConfigureAwait(false);
                    signalled = true;
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                    // periodic safety re-check
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
            try
            {
                // A signal-driven pass only re-checks access (revocations have their own signal); the periodic
                // safety pass also looks for revoked devices.
                await RecheckAllAsync(checkRevoked: !signalled, stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                StreamLog.RecheckFailed(_log, _options.RecheckInterval.TotalSeconds, e.GetType().Name);
            }
        }
    }

    /// <summary>Re-checks every open subscription, per device (see <see cref="ReachableAmongAsync"/>), a few devices at
    /// a time; with <paramref name="checkRevoked"/> also closes streams of devices found revoked.</summary>
    public async Task RecheckAllAsync(bool checkRevoked, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        await Parallel.ForEachAsync(_byDevice.ToArray(), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct },
            async (entry, token) =>
            {
                // SQLite answers synchronously: without yielding, the workers would hold thread-pool threads for the
                // whole pass while the senders of the `denied` frames (and every other request) wait behind them.
                await Task.Yield();
                await RecheckDeviceAsync(entry.Key, [.. entry.Value.Keys], checkRevoked, token).ConfigureAwait(false);
            }).ConfigureAwait(false);
        _metrics.Rechecked(Stopwatch.GetElapsedTime(started));
    }

    async Task RecheckDeviceAsync(Guid deviceId, IReadOnlyList<StreamConnection> connections, bool checkRevoked, CancellationToken ct)
    {
        if (connections.Count == 0) return;
        if (checkRevoked && await IsRevokedAsync(deviceId).ConfigureAwait(false))
        {
            foreach (var connection in connections) CloseRevoked(connection);
            return;
        }
        // One look per device, for the union of what its streams subscribe to.
        HashSet<Guid> subscribed = [];
        foreach (var connection in connections) subscribed.UnionWith(connection.Subscriptions());
        var reachable = await ReachableAmongAsync(deviceId, subscribed, ct).ConfigureAwait(false);
        foreach (var connection in connections)
        {
            var lost = connection.RetainReachable(reachable);
            foreach (var vault in lost) RemoveFromIndex(vault, connection);
            if (lost.Count > 0) StreamLog.AccessLost(_log, DeviceToken.Redact(deviceId), lost.Count);
        }
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        _signals.Committed -= OnCommitted;
        _signals.Revoked -= OnRevoked;
        _signals.AccessChanged -= OnAccessChanged;
        base.Dispose();
    }
}
