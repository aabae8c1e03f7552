using System.Buffers;
using System.Net.WebSockets;
using System.Threading.Channels;
using TinySync.Core.Contracts;
using TinySync.Core.Identity;

namespace TinySync.Server.Streaming;

/// <summary>
/// One open stream: a receive loop that reads subscribe messages and a single sender loop that drains the
/// <see cref="StreamOutbox"/> (everything the server owes the client); nothing else writes the socket.
/// </summary>
internal sealed class StreamConnection
{
    readonly WebSocket _ws;
    readonly StreamOptions _options;
    readonly StreamMetrics _metrics;
    readonly ILogger _log;
    readonly StreamOutbox _outbox;
    readonly Lock _dropGate = new();
    readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    readonly CancellationTokenSource _lifetime = new();
    readonly byte[] _hintBuffer = new byte[StreamProtocol.MaxHintBytes];
    readonly TaskCompletionSource _closeSentTask = new(TaskCreationOptions.RunContinuationsAsynchronously);
    long _framesSent;
    string? _dropReason;

    public StreamConnection(Guid deviceId, WebSocket ws, StreamOptions options, StreamMetrics metrics, ILogger log)
    {
        DeviceId = deviceId;
        _ws = ws;
        _options = options;
        _metrics = metrics;
        _log = log;
        _outbox = new StreamOutbox(() => _wake.Writer.TryWrite(true));
    }

    /// <summary>The device that opened the stream.</summary>
    public Guid DeviceId { get; }

    /// <summary>Why the server ended the stream (a metric label), or null while open / after a client close.</summary>
    public string? DropReason
    {
        get { lock (_dropGate) return _dropReason; }
    }

    /// <summary>Hints waiting to be sent; never more than the number of subscriptions.</summary>
    public int PendingHints => _outbox.PendingHints;

    /// <summary>The most hints that were ever pending at once on this connection.</summary>
    public int PendingHighWater => _outbox.PendingHighWater;

    /// <summary>Frames written to this stream so far.</summary>
    public long FramesSent => Interlocked.Read(ref _framesSent);

    /// <summary>Number of subscribed vaults.</summary>
    public int SubscriptionCount => _outbox.SubscriptionCount;

    /// <summary>True while <paramref name="vault"/> is subscribed.</summary>
    public bool IsSubscribed(Guid vault) => _outbox.IsSubscribed(vault);

    /// <summary>A snapshot of the subscribed vaults.</summary>
    public Guid[] Subscriptions() => _outbox.Subscriptions();

    /// <summary>True once a close was requested or the connection ended.</summary>
    public bool IsClosing => _outbox.CloseRequested || _lifetime.IsCancellationRequested;

    // ---- Called from the hub (any thread) -----------------------------------------------------------------------

    /// <summary>Offers a hint; coalesces with a pending one for the same vault. O(1), never blocks.</summary>
    public void OfferHint(Guid vault, long head) => _outbox.OfferHint(vault, head);

    /// <summary>Drops subscriptions to vaults outside <paramref name="reachable"/> and queues a
    /// <c>{"denied": [...]}</c> frame for them. Returns the dropped vaults.</summary>
    public List<Guid> RetainReachable(IReadOnlySet<Guid> reachable) => _outbox.RetainReachable(reachable);

    /// <summary>Queues the reply to a subscribe message together with the new subscriptions; the task completes when
    /// the reply was sent.</summary>
    public Task AddSubscriptionsAndReply(IReadOnlyList<Guid> accepted, byte[] reply) => _outbox.AddSubscriptionsAndReply(accepted, reply);

    /// <summary>How many new vaults <paramref name="ids"/> would add.</summary>
    public int CountNew(IEnumerable<Guid> ids) => _outbox.CountNew(ids);

    /// <summary>Asks the sender to close the stream with <paramref name="status"/>; pending frames are dropped.
    /// If the peer does not answer the close within the close timeout, the connection is aborted.</summary>
    public void RequestClose(WebSocketCloseStatus status, string reason, string? metricReason)
    {
        if (!_outbox.RequestClose(status, StreamProtocol.CloseReason(reason))) return;
        if (metricReason is not null) lock (_dropGate) _dropReason = metricReason;
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
        lock (_dropGate) _dropReason ??= metricReason;
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
            if (lost && !_outbox.CloseRequested) lock (_dropGate) _dropReason ??= "connection_lost";
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

    void MarkCloseSent() => _closeSentTask.TrySetResult();

    async Task SendLoopAsync()
    {
        var ct = _lifetime.Token;
        using var sendTimeout = new CancellationTokenSource();
        OutboxFrame next = default;
        try
        {
            while (await _wake.Reader.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                _wake.Reader.TryRead(out _);
                while (true)
                {
                    next = _outbox.TakeNext(_hintBuffer);
                    if (next.Kind == OutboxFrameKind.None) break;

                    sendTimeout.CancelAfter(_options.SendTimeout);
                    try
                    {
                        if (next.Kind == OutboxFrameKind.Close)
                        {
                            await _ws.CloseOutputAsync(next.Close.Status, next.Close.Reason, sendTimeout.Token).ConfigureAwait(false);
                            MarkCloseSent();
                            return;
                        }
                        await _ws.SendAsync(next.Frame.AsMemory(0, next.Length), WebSocketMessageType.Text, true, sendTimeout.Token).ConfigureAwait(false);
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
                    if (next.Kind == OutboxFrameKind.Hint) _metrics.HintSent();
                    next.ReplySent?.TrySetResult();
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
            _outbox.ReleaseReply();
            next.ReplySent?.TrySetResult(); // a reply whose send failed
            if (_ws.State is WebSocketState.Open or WebSocketState.CloseReceived && !_outbox.CloseRequested) _ws.Abort();
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
