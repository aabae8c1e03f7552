using System.Net.WebSockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using TinySync.Server.Observability;
using TinySync.Server.Streaming;

namespace TinySync.Server.Tests.Streaming;

/// <summary>The slow-reader policy against a socket that accepts nothing, so no kernel buffer has to fill first.</summary>
public class SlowReaderTests
{
    /// <summary>A peer that never reads: every send hangs until it is cancelled; receives wait forever.</summary>
    sealed class StuckSocket : WebSocket
    {
        readonly CancellationTokenSource _aborted = new();
        WebSocketState _state = WebSocketState.Open;

        public int SendsStarted;

        public override WebSocketCloseStatus? CloseStatus => null;
        public override string? CloseStatusDescription => null;
        public override WebSocketState State => _state;
        public override string? SubProtocol => null;

        public override void Abort()
        {
            _state = WebSocketState.Aborted;
            _aborted.Cancel();
        }

        public override Task CloseAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken) => Hang(cancellationToken);

        public override Task CloseOutputAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken) => Hang(cancellationToken);

        public override Task<WebSocketReceiveResult> ReceiveAsync(ArraySegment<byte> buffer, CancellationToken cancellationToken) =>
            Hang(cancellationToken).ContinueWith<WebSocketReceiveResult>(t => throw new OperationCanceledException(), TaskScheduler.Default);

        public override Task SendAsync(ArraySegment<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref SendsStarted);
            return Hang(cancellationToken);
        }

        async Task Hang(CancellationToken ct)
        {
            using var both = CancellationTokenSource.CreateLinkedTokenSource(ct, _aborted.Token);
            await Task.Delay(Timeout.Infinite, both.Token);
        }

        public override void Dispose() => _aborted.Dispose();
    }

    static StreamMetrics Metrics()
    {
        var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        return new StreamMetrics(new ServerMetrics(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()));
    }

    [Fact]
    public async Task A_reader_that_takes_nothing_is_aborted_after_the_send_timeout_holding_one_hint_per_vault_meanwhile()
    {
        var options = new StreamOptions { SendTimeout = TimeSpan.FromMilliseconds(300) };
        using var socket = new StuckSocket();
        var connection = new StreamConnection(Guid.NewGuid(), socket, options, Metrics(), NullLogger.Instance);
        var vaults = Enumerable.Range(0, 10).Select(_ => Guid.NewGuid()).ToArray();
        var run = connection.RunAsync((_, _, _) => Task.FromResult(SubscribeOutcome.Answered));
        // Subscribe directly (the fake never delivers a message), then flood.
        _ = connection.AddSubscriptionsAndReply(vaults, [(byte)'{', (byte)'}']);
        for (var head = 1; head <= 100_000; head++)
            foreach (var v in vaults) connection.OfferHint(v, head);

        connection.PendingHighWater.ShouldBeLessThanOrEqualTo(vaults.Length);
        await run.WaitAsync(TimeSpan.FromSeconds(10));
        connection.DropReason.ShouldBe("slow_reader");
        socket.State.ShouldBe(WebSocketState.Aborted);
        socket.SendsStarted.ShouldBe(1, "the sender waits on its one stuck send; nothing queues behind it");
        connection.FramesSent.ShouldBe(0L);
    }
}
