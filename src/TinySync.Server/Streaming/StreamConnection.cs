using System.Buffers;
using System.Net.WebSockets;
using System.Threading.Channels;
using TinySync.Core.Contracts;
using TinySync.Core.Identity;

namespace TinySync.Server.Streaming;

/// <summary>
/// One open stream. Everything the server owes the client sits in a state bounded by its subscriptions:
/// per vault the highest head offered and a "pending" flag (a FIFO of pending vault ids gives hints in commit
/// order), at most one subscribe reply (the receive loop waits for it to be sent before reading on), and one set of
/// vaults whose loss of access is still to be told. A single sender loop drains it; nothing else writes the socket.
/// </summary>
internal sealed class StreamConnection
{
    readonly WebSocket _ws;
    readonly StreamOptions _options;
    readonly StreamMetrics _metrics;
    readonly ILogger _log;
    readonly Lock _gate = new();
    readonly Dictionary<Guid, VaultState> _subscriptions = [];
    readonly Queue<Guid> _pendingOrder = new();
    readonly HashSet<Guid> _pendingDenied = [];
    readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    readonly CancellationTokenSource _lifetime = new();
    readonly byte[] _hintBuffer = new byte[StreamProtocol.MaxHintBytes];
    byte[]? _reply;
    TaskCompletionSource? _replySent;
    (WebSocketCloseStatus Status, string Reason, string Metric)? _close;
    bool _closeSent;
    readonly TaskCompletionSource _closeSentTask = new(TaskCreationOptions.RunContinuationsAsynchronously);
    int _pendingCount;
    long _framesSent;
    int _pendingHighWater;

    struct VaultState
    {
        public long Head;     // highest head offered (sent or pending); lower or equal heads are dropped
        public bool Pending;  // the vault id is in _pendingOrder
    }

    public StreamConnection(Guid deviceId, WebSocket ws, StreamOptions options, StreamMetrics metrics, ILogger log)
    {
        DeviceId = deviceId;
        _ws = ws;
        _options = options;
        _metrics = metrics;
        _log = log;
    }

    /// <summary>The device that opened the stream.</summary>
    public Guid DeviceId { get; }

    /// <summary>Why the server ended the stream (a metric label), or null while open / after a client close.</summary>
    public string? DropReason { get; private set; }

    /// <summary>Hints waiting to be sent; never more than the number of subscriptions.</summary>
    public int PendingHints
    {
        get { lock (_gate) return _pendingCount; }
    }

    /// <summary>The most hints that were ever pending at once on this connection.</summary>
    public int PendingHighWater
    {
        get { lock (_gate) return _pendingHighWater; }
    }

    /// <summary>Frames written to this stream so far.</summary>
    public long FramesSent => Interlocked.Read(ref _framesSent);

    /// <summary>Number of subscribed vaults.</summary>
    public int SubscriptionCount
    {
        get { lock (_gate) return _subscriptions.Count; }
    }

    /// <summary>True while <paramref name="vault"/> is subscribed.</summary>
    public bool IsSubscribed(Guid vault)
    {
        lock (_gate) return _subscriptions.ContainsKey(vault);
    }

    /// <summary>A snapshot of the subscribed vaults.</summary>
    public Guid[] Subscriptions()
    {
        lock (_gate) return [.. _subscriptions.Keys];
    }

    /// <summary>True once a close was requested or the connection ended.</summary>
    public bool IsClosing
    {
        get { lock (_gate) return _close is not null || _lifetime.IsCancellationRequested; }
    }

    // ---- Called from the hub (any thread) -----------------------------------------------------------------------

    /// <summary>Offers a hint; coalesces with a pending one for the same vault. O(1), never blocks.</summary>
    public void OfferHint(Guid vault, long head)
    {
        lock (_gate)
        {
            if (_close is not null || !_subscriptions.TryGetValue(vault, out var state) || head <= state.Head) return;
            state.Head = head;
            if (!state.Pending)
            {
                state.Pending = true;
                _pendingOrder.Enqueue(vault);
                _pendingCount++;
                if (_pendingCount > _pendingHighWater) _pendingHighWater = _pendingCount;
            }
            _subscriptions[vault] = state;
        }
        _wake.Writer.TryWrite(true);
    }

    /// <summary>Drops subscriptions to vaults outside <paramref name="reachable"/> and queues a
    /// <c>{"denied": [...]}</c> frame for them. Returns the dropped vaults.</summary>
    public List<Guid> RetainReachable(IReadOnlySet<Guid> reachable)
    {
        List<Guid> lost = [];
        lock (_gate)
        {
            if (_close is not null) return lost;
            foreach (var vault in _subscriptions.Keys)
                if (!reachable.Contains(vault)) lost.Add(vault);
            if (lost.Count == 0) return lost;
            foreach (var vault in lost)
            {
                if (_subscriptions.Remove(vault, out var state) && state.Pending) _pendingCount--;
                _pendingDenied.Add(vault);
            }
            // Rebuild the FIFO without the dropped vaults, so it never holds more ids than there are subscriptions.
            var keep = _pendingOrder.Where(_subscriptions.ContainsKey).ToArray();
            _pendingOrder.Clear();
            foreach (var vault in keep) _pendingOrder.Enqueue(vault);
        }
        _wake.Writer.TryWrite(true);
        return lost;
    }

    /// <summary>Asks the sender to close the stream with <paramref name="status"/>; pending frames are dropped.
    /// If the peer does not answer the close within the close timeout, the connection is aborted.</summary>
    public void RequestClose(WebSocketCloseStatus status, string reason, string? metricReason)
    {
        lock (_gate)
        {
            if (_close is not null) return;
            _close = (status, StreamProtocol.CloseReason(reason), metricReason ?? "");
            if (metricReason is not null) DropReason = metricReason;
            _pendingOrder.Clear();
            _pendingCount = 0;
            _pendingDenied.Clear();
        }
        _replySent?.TrySetResult(); // the reply is moot; let the receive loop go on to the close handshake
        _wake.Writer.TryWrite(true);
        try
        {
            _lifetime.CancelAfter(_options.CloseTimeout);
        }
        catch (ObjectDisposedException)
        {
            // already over
        }
    }

    /// <summary>Aborts at once: no close frame (a send is stuck, or the server is past its patience).</summary>
    public void Abort(string metricReason)
    {
        lock (_gate) DropReason ??= metricReason;
        try
        {
            _lifetime.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // already over
        }
        _ws.Abort();
    }

    // ---- The session --------------------------------------------------------------------------------------------

    /// <summary>Runs the receive loop and the sender loop until the stream ends.</summary>
    public async Task RunAsync(Func<StreamConnection, IReadOnlyList<string>, CancellationToken, Task<SubscribeOutcome>> subscribe)
    {
        var sender = Task.Run(SendLoopAsync);
        var lost = false;
        try
        {
            await ReceiveLoopAsync(subscribe).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            lost = true;
        }
        finally
        {
            await _lifetime.CancelAsync().ConfigureAwait(false);
            await sender.ConfigureAwait(false);
            if (_ws.State != WebSocketState.Closed) _ws.Abort();
            // Only now: a send timeout aborts the socket, and the receive loop may notice that before the sender
            // has recorded why.
            lock (_gate)
            {
                if (lost && _close is null) DropReason ??= "connection_lost";
            }
            _lifetime.Dispose();
        }
    }

    async Task ReceiveLoopAsync(Func<StreamConnection, IReadOnlyList<string>, CancellationToken, Task<SubscribeOutcome>> subscribe)
    {
        var ct = _lifetime.Token;
        while (true)
        {
            // A zero-byte read waits for the next frame without holding a buffer: an idle stream costs no buffer.
            var first = await _ws.ReceiveAsync(Memory<byte>.Empty, ct).ConfigureAwait(false);
            if (first.MessageType == WebSocketMessageType.Close)
            {
                // The peer closed (or answered our close): echo its close unless ours went out already.
                RequestClose(WebSocketCloseStatus.NormalClosure, "", null);
                await WaitSenderClosedAsync(ct).ConfigureAwait(false);
                return;
            }
            var (message, length, tooLarge) = await ReadMessageAsync(first, ct).ConfigureAwait(false);
            try
            {
                if (IsClosing) continue; // after a close request, frames are read and dropped until the peer's close
                if (first.MessageType == WebSocketMessageType.Binary)
                    ProtocolError(WebSocketCloseStatus.InvalidMessageType, "binary frames are not accepted; send JSON text frames");
                else if (tooLarge)
                    ProtocolError(WebSocketCloseStatus.MessageTooBig, $"a message may be at most {_options.MaxMessageBytes} bytes");
                else if (StreamProtocol.TryParseSubscribe(message.AsSpan(0, length), out var ids) is { } error)
                    ProtocolError(WebSocketCloseStatus.InvalidPayloadData, error + "; send {\"subscribe\": [vault ids]}");
                else
                {
                    SubscribeOutcome outcome;
                    try
                    {
                        outcome = await subscribe(this, ids, ct).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        // e.g. the database is unavailable: say so and let the client reconnect later
                        StreamLog.SubscribeFailed(_log, e, DeviceToken.Redact(DeviceId));
                        RequestClose(WebSocketCloseStatus.InternalServerError, "the server could not check the subscription; reconnect in a few seconds", "server_error");
                        continue;
                    }
                    if (outcome == SubscribeOutcome.TooMany)
                        ProtocolError(WebSocketCloseStatus.PolicyViolation, $"at most {_options.MaxSubscriptions} vaults per stream; open another stream");
                }
            }
            finally
            {
                if (message.Length > 0) ArrayPool<byte>.Shared.Return(message);
            }
        }
    }

    void ProtocolError(WebSocketCloseStatus status, string reason)
    {
        StreamLog.ProtocolError(_log, DeviceToken.Redact(DeviceId), reason);
        RequestClose(status, reason, "protocol_error");
    }

    /// <summary>Reads the rest of a message into a pooled buffer, at most the message limit; beyond it, the bytes
    /// are read and discarded so the stream stays in sync for the close handshake.</summary>
    async Task<(byte[] Buffer, int Length, bool TooLarge)> ReadMessageAsync(ValueWebSocketReceiveResult first, CancellationToken ct)
    {
        if (first.EndOfMessage) return ([], 0, false); // an empty frame
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        var length = 0;
        var tooLarge = false;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    // length <= MaxMessageBytes here, so the new buffer has room
                    var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, _options.MaxMessageBytes + 1));
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }
                var r = await _ws.ReceiveAsync(buffer.AsMemory(length), ct).ConfigureAwait(false);
                if (r.MessageType == WebSocketMessageType.Close)
                    throw new WebSocketException(WebSocketError.InvalidState, "close frame inside a message");
                length += r.Count;
                if (length > _options.MaxMessageBytes)
                {
                    tooLarge = true;
                    length = 0; // discard; keep reading to the end of the message
                }
                if (r.EndOfMessage) return (buffer, length, tooLarge);
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    async Task WaitSenderClosedAsync(CancellationToken ct) =>
        // The sender sends the close frame; wait until it did (or the close timeout aborts us).
        await _closeSentTask.Task.WaitAsync(ct).ConfigureAwait(false);

    /// <summary>Queues the reply to a subscribe message together with the new subscriptions (one lock, so the reply
    /// precedes every hint for those vaults) and returns a task that completes when the reply was sent.</summary>
    public Task AddSubscriptionsAndReply(IReadOnlyList<Guid> accepted, byte[] reply)
    {
        TaskCompletionSource sent = new(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_close is not null) return Task.CompletedTask;
            foreach (var vault in accepted) _subscriptions.TryAdd(vault, default);
            _reply = reply;
            _replySent = sent;
        }
        _wake.Writer.TryWrite(true);
        return sent.Task;
    }

    /// <summary>How many new vaults <paramref name="ids"/> would add.</summary>
    public int CountNew(IEnumerable<Guid> ids)
    {
        lock (_gate) return ids.Count(id => !_subscriptions.ContainsKey(id));
    }

    void MarkCloseSent()
    {
        lock (_gate) _closeSent = true;
        _closeSentTask.TrySetResult();
    }

    enum Next { None, Reply, Denied, Hint, Close }

    async Task SendLoopAsync()
    {
        var ct = _lifetime.Token;
        using var sendTimeout = new CancellationTokenSource();
        try
        {
            while (await _wake.Reader.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                _wake.Reader.TryRead(out _);
                while (true)
                {
                    byte[]? frame = null;
                    int length = 0;
                    TaskCompletionSource? replySent = null;
                    (WebSocketCloseStatus Status, string Reason, string Metric) close = default;
                    Next next;
                    lock (_gate)
                    {
                        if (_close is { } c)
                        {
                            if (_closeSent) return;
                            close = c;
                            next = Next.Close;
                        }
                        else if (_reply is not null)
                        {
                            frame = _reply;
                            length = frame.Length;
                            replySent = _replySent;
                            _reply = null;
                            _replySent = null;
                            next = Next.Reply;
                        }
                        else if (_pendingDenied.Count > 0)
                        {
                            frame = StreamProtocol.Denied(_pendingDenied);
                            length = frame.Length;
                            _pendingDenied.Clear();
                            next = Next.Denied;
                        }
                        else if (_pendingOrder.TryDequeue(out var vault))
                        {
                            var state = _subscriptions[vault];
                            state.Pending = false;
                            _subscriptions[vault] = state;
                            _pendingCount--;
                            frame = _hintBuffer;
                            length = StreamProtocol.WriteHint(_hintBuffer, vault, state.Head);
                            next = Next.Hint;
                        }
                        else next = Next.None;
                    }
                    if (next == Next.None) break;

                    sendTimeout.CancelAfter(_options.SendTimeout);
                    try
                    {
                        if (next == Next.Close)
                        {
                            await _ws.CloseOutputAsync(close.Status, close.Reason, sendTimeout.Token).ConfigureAwait(false);
                            MarkCloseSent();
                            return;
                        }
                        await _ws.SendAsync(frame!.AsMemory(0, length), WebSocketMessageType.Text, true, sendTimeout.Token).ConfigureAwait(false);
                    }
                    catch (Exception e) when (sendTimeout.IsCancellationRequested
                        && e is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException)
                    {
                        StreamLog.SlowReader(_log, DeviceToken.Redact(DeviceId), _options.SendTimeout.TotalSeconds);
                        Abort("slow_reader");
                        return;
                    }
                    if (!sendTimeout.TryReset()) return;
                    Interlocked.Increment(ref _framesSent);
                    if (next == Next.Hint) _metrics.HintSent();
                    replySent?.TrySetResult();
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException or ChannelClosedException)
        {
            // the connection ended under us; the receive loop reports why
        }
        finally
        {
            MarkCloseSent(); // nothing more will be sent; do not let the receive loop wait for it
            _replySent?.TrySetResult();
            if (_ws.State is WebSocketState.Open or WebSocketState.CloseReceived && _close is null) _ws.Abort();
        }
    }
}

/// <summary>Result of handling a subscribe message.</summary>
internal enum SubscribeOutcome
{
    /// <summary>Answered.</summary>
    Answered,
    /// <summary>The stream would exceed its subscription cap.</summary>
    TooMany,
}
