using System.Net.WebSockets;

namespace TinySync.Server.Streaming;

/// <summary>The kinds of frame a stream sends, in the order <see cref="StreamOutbox.TakeNext"/> gives them.</summary>
internal enum OutboxFrameKind { None, Close, Reply, Denied, Hint }

/// <summary>The next thing to send: a frame (<see cref="Frame"/>[..<see cref="Length"/>]) or a close.</summary>
internal readonly record struct OutboxFrame(
    OutboxFrameKind Kind,
    byte[]? Frame,
    int Length,
    TaskCompletionSource? ReplySent,
    (WebSocketCloseStatus Status, string Reason) Close);

/// <summary>
/// Everything one stream owes its client, without the socket: per subscribed vault the highest head offered and a
/// "pending" flag (a FIFO of pending vault ids gives hints in commit order), at most one subscribe reply, one set of
/// vaults whose loss of access is still to be told, and a requested close. Bounded by the subscriptions: a hint for a
/// vault already pending only raises its head. Thread-safe; <see cref="TakeNext"/> is called by the one sender.
/// </summary>
internal sealed class StreamOutbox(Action wake)
{
    readonly Lock _gate = new();
    readonly Dictionary<Guid, VaultState> _subscriptions = [];
    readonly Queue<Guid> _pendingOrder = new();
    readonly HashSet<Guid> _pendingDenied = [];
    byte[]? _reply;
    TaskCompletionSource? _replySent;
    (WebSocketCloseStatus Status, string Reason)? _close;
    bool _closeTaken;
    int _pendingCount;
    int _pendingHighWater;

    struct VaultState
    {
        public long Head;     // highest head offered (sent or pending); lower or equal heads are dropped
        public bool Pending;  // the vault id is in _pendingOrder
    }

    /// <summary>Hints waiting to be sent; never more than the number of subscriptions.</summary>
    public int PendingHints
    {
        get { lock (_gate) return _pendingCount; }
    }

    /// <summary>The most hints that were ever pending at once.</summary>
    public int PendingHighWater
    {
        get { lock (_gate) return _pendingHighWater; }
    }

    /// <summary>Number of subscribed vaults.</summary>
    public int SubscriptionCount
    {
        get { lock (_gate) return _subscriptions.Count; }
    }

    /// <summary>True once a close was requested.</summary>
    public bool CloseRequested
    {
        get { lock (_gate) return _close is not null; }
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

    /// <summary>How many new vaults <paramref name="ids"/> would add.</summary>
    public int CountNew(IEnumerable<Guid> ids)
    {
        lock (_gate) return ids.Count(id => !_subscriptions.ContainsKey(id));
    }

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
        wake();
    }

    /// <summary>Queues the reply to a subscribe message together with the new subscriptions (one lock, so the reply
    /// precedes every hint for those vaults); the task completes when the reply was sent (or will never be).</summary>
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
        wake();
        return sent.Task;
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
        wake();
        return lost;
    }

    /// <summary>Requests a close: pending frames are dropped and an unsent reply is released. False when a close was
    /// already requested (the first one wins).</summary>
    public bool RequestClose(WebSocketCloseStatus status, string reason)
    {
        TaskCompletionSource? reply;
        lock (_gate)
        {
            if (_close is not null) return false;
            _close = (status, reason);
            _pendingOrder.Clear();
            _pendingCount = 0;
            _pendingDenied.Clear();
            reply = _replySent;
        }
        reply?.TrySetResult(); // the reply is moot; let the receive loop go on to the close handshake
        wake();
        return true;
    }

    /// <summary>The next frame to send, in priority order: a close, the subscribe reply, a denied frame, the oldest
    /// pending hint (written into <paramref name="hintBuffer"/>). After the close was taken, always None.</summary>
    public OutboxFrame TakeNext(byte[] hintBuffer)
    {
        lock (_gate)
        {
            if (_close is { } c)
            {
                if (_closeTaken) return default;
                _closeTaken = true;
                return new OutboxFrame(OutboxFrameKind.Close, null, 0, null, c);
            }
            if (_reply is { } reply)
            {
                var sent = _replySent;
                _reply = null;
                _replySent = null;
                return new OutboxFrame(OutboxFrameKind.Reply, reply, reply.Length, sent, default);
            }
            if (_pendingDenied.Count > 0)
            {
                var frame = StreamProtocol.Denied(_pendingDenied);
                _pendingDenied.Clear();
                return new OutboxFrame(OutboxFrameKind.Denied, frame, frame.Length, null, default);
            }
            if (_pendingOrder.TryDequeue(out var vault))
            {
                var state = _subscriptions[vault];
                state.Pending = false;
                _subscriptions[vault] = state;
                _pendingCount--;
                var length = StreamProtocol.WriteHint(hintBuffer, vault, state.Head);
                return new OutboxFrame(OutboxFrameKind.Hint, hintBuffer, length, null, default);
            }
            return default;
        }
    }

    /// <summary>Releases an unsent reply when the sender stops for good.</summary>
    public void ReleaseReply()
    {
        TaskCompletionSource? reply;
        lock (_gate)
        {
            reply = _replySent;
            _replySent = null;
        }
        reply?.TrySetResult();
    }
}
