using System.Text.Json;
using System.Threading.Channels;
using Npgsql;
using TinySync.Server.Observability;

namespace TinySync.Server.Signals;

/// <summary>
/// The multi-node bus: publishing sends <c>pg_notify('tinysync_signals', json)</c> through the pool; one dedicated
/// (unpooled, session) connection per node LISTENs and raises the events for every signal, this node's own included,
/// so every node's streams hear every commit, revocation and access change. The listener reconnects with backoff and
/// raises <see cref="AccessChanged"/> after a reconnect (signals may have been missed: streams re-check access, and
/// clients re-read the log on the next hint or ping anyway — hints carry no data, missing one loses nothing).
/// </summary>
public sealed class PostgresSignalBus : ISignalBus, IHostedService, IAsyncDisposable
{
    /// <summary>The NOTIFY channel.</summary>
    public const string Channel = "tinysync_signals";

    readonly string _listenConnectionString;
    readonly NpgsqlDataSource _publisher;
    readonly ILogger _log;
    readonly Channel<Signal> _outbox = System.Threading.Channels.Channel.CreateUnbounded<Signal>(new UnboundedChannelOptions { SingleReader = true });
    readonly CancellationTokenSource _stop = new();
    readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    Task? _listener;
    Task? _sender;
    int _stopped;
    int _disposed;
    bool _listeningNow;

    /// <summary>Builds the bus over a (normalized) PostgreSQL connection string.</summary>
    public PostgresSignalBus(string connectionString, ILogger<PostgresSignalBus> log)
    {
        _log = log;
        var b = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, KeepAlive = 5, ApplicationName = "tinysync-listener" };
        _listenConnectionString = b.ConnectionString;
        var p = new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = 2, ApplicationName = "tinysync-notify" };
        _publisher = NpgsqlDataSource.Create(p.ConnectionString);
    }

    /// <inheritdoc />
    public event Action<Guid, long>? Committed;

    /// <inheritdoc />
    public event Action<Guid>? Revoked;

    /// <inheritdoc />
    public event Action? AccessChanged;

    /// <summary>True while the LISTEN connection is up (readiness: hints reach this node's streams).</summary>
    public bool IsListening => Volatile.Read(ref _listeningNow);

    /// <summary>Number of times the listener connection was (re)established.</summary>
    public int Connections { get; private set; }

    /// <inheritdoc />
    public void PublishCommit(Guid vaultId, long head) => _outbox.Writer.TryWrite(new Signal(Kinds.Commit, vaultId, head));

    /// <inheritdoc />
    public void PublishRevoked(Guid deviceId) => _outbox.Writer.TryWrite(new Signal(Kinds.Revoked, deviceId, 0));

    /// <inheritdoc />
    public void PublishAccessChanged() => _outbox.Writer.TryWrite(new Signal(Kinds.Access, Guid.Empty, 0));

    /// <summary>Starts listening; returns once LISTEN is in place (or after 5 s, still retrying in the background).</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _listener ??= Task.Run(() => ListenLoopAsync(_stop.Token), CancellationToken.None);
        _sender ??= Task.Run(() => SendLoopAsync(_stop.Token), CancellationToken.None);
        await Task.WhenAny(_listening.Task, Task.Delay(TimeSpan.FromSeconds(5), cancellationToken)).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1) return;
        _outbox.Writer.TryComplete();
        if (_sender is not null) await Task.WhenAny(_sender, Task.Delay(TimeSpan.FromSeconds(2), cancellationToken)).ConfigureAwait(false);
        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (var t in new[] { _listener, _sender })
        {
            if (t is null) continue;
            try { await t.ConfigureAwait(false); }
            catch (OperationCanceledException) { }
        }
    }

    async Task ListenLoopAsync(CancellationToken ct)
    {
        var backoff = TimeSpan.FromMilliseconds(100);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var c = new NpgsqlConnection(_listenConnectionString);
                c.Notification += (_, e) => Dispatch(e.Payload);
                await c.OpenAsync(ct).ConfigureAwait(false);
                await using (var cmd = new NpgsqlCommand($"LISTEN {Channel}", c))
                    await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                Connections++;
                backoff = TimeSpan.FromMilliseconds(100);
                if (Connections > 1)
                {
                    Log.SignalListenerReconnected(_log);
                    Raise(() => AccessChanged?.Invoke()); // anything may have happened while we were deaf
                }
                _listening.TrySetResult();
                Volatile.Write(ref _listeningNow, true);
                try
                {
                    while (!ct.IsCancellationRequested) await c.WaitAsync(ct).ConfigureAwait(false);
                }
                finally
                {
                    Volatile.Write(ref _listeningNow, false);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                Log.SignalListenerLost(_log, e.GetType().Name, e.Message.Split('\n')[0], backoff.TotalMilliseconds);
                try { await Task.Delay(backoff, ct).ConfigureAwait(false); }
                catch (OperationCanceledException) { return; }
                backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 5000));
            }
        }
    }

    async Task SendLoopAsync(CancellationToken ct)
    {
        var batch = new List<Signal>();
        while (await _outbox.Reader.WaitToReadAsync(ct).ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < 256 && _outbox.Reader.TryRead(out var s)) batch.Add(s);
            var payloads = Coalesce(batch);
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    await using var cmd = _publisher.CreateCommand();
                    // One statement, one transaction. Its commit need not wait for the WAL flush: a hint carries no data
                    // and is delivered at commit either way, and a flush here took a second fsync per commit of a vault
                    // (decision 0506). The setting lasts for this transaction only.
                    cmd.CommandText = "SELECT set_config('synchronous_commit', 'off', true)"
                        + string.Concat(payloads.Select((_, i) => $", pg_notify('{Channel}', @p{i})"));
                    for (var i = 0; i < payloads.Count; i++) cmd.Parameters.AddWithValue($"p{i}", payloads[i]);
                    await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                    break;
                }
                catch (Exception e) when (e is not OperationCanceledException && attempt < 3)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(100 << attempt), ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Hints carry no data: a dropped hint delays a client until its next ping/poll, it loses nothing.
                    Log.SignalPublishFailed(_log, payloads.Count, e.Message.Split('\n')[0]);
                    break;
                }
            }
        }
    }

    /// <summary>One notification per vault (its highest head), per revoked device, and at most one access change.</summary>
    static List<string> Coalesce(List<Signal> batch)
    {
        var heads = new Dictionary<Guid, long>();
        var revoked = new HashSet<Guid>();
        var access = false;
        foreach (var s in batch)
        {
            switch (s.Kind)
            {
                case Kinds.Commit: heads[s.Id] = Math.Max(heads.GetValueOrDefault(s.Id), s.Head); break;
                case Kinds.Revoked: revoked.Add(s.Id); break;
                default: access = true; break;
            }
        }
        var payloads = new List<string>(heads.Count + revoked.Count + 1);
        foreach (var d in revoked) payloads.Add(JsonSerializer.Serialize(new Wire(Kinds.Revoked, d, null)));
        if (access) payloads.Add(JsonSerializer.Serialize(new Wire(Kinds.Access, null, null)));
        foreach (var (v, h) in heads) payloads.Add(JsonSerializer.Serialize(new Wire(Kinds.Commit, v, h)));
        return payloads;
    }

    void Dispatch(string payload)
    {
        Wire? w;
        try { w = JsonSerializer.Deserialize<Wire>(payload); }
        catch (JsonException) { w = null; }
        switch (w)
        {
            case { T: Kinds.Commit, Id: { } v, Head: { } h }: Raise(() => Committed?.Invoke(v, h)); break;
            case { T: Kinds.Revoked, Id: { } d }: Raise(() => Revoked?.Invoke(d)); break;
            case { T: Kinds.Access }: Raise(() => AccessChanged?.Invoke()); break;
            default: Log.SignalIgnored(_log, payload.Length > 100 ? payload[..100] : payload); break;
        }
    }

    void Raise(Action raise)
    {
        // A subscriber's failure must not kill the listener connection for every other stream on this node.
        try { raise(); }
        catch (Exception e) { Log.SignalHandlerFailed(_log, e); }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        // DI disposes this once per registration (the bus, ISignalBus, IHostedService): only the first one counts.
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _publisher.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    static class Kinds
    {
        public const string Commit = "c";
        public const string Revoked = "r";
        public const string Access = "a";
    }

    readonly record struct Signal(string Kind, Guid Id, long Head);

    // {"t":"c","id":"<vault>","head":42} · {"t":"r","id":"<device>"} · {"t":"a"}: far below NOTIFY's 8000-byte limit.
    sealed record Wire(
        [property: System.Text.Json.Serialization.JsonPropertyName("t")] string T,
        [property: System.Text.Json.Serialization.JsonPropertyName("id")] Guid? Id,
        [property: System.Text.Json.Serialization.JsonPropertyName("head")] long? Head);
}
