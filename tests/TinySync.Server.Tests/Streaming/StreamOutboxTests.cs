using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using TinySync.Server.Streaming;

namespace TinySync.Server.Tests.Streaming;

/// <summary>What a stream owes its client, without a socket.</summary>
public sealed class StreamOutboxTests
{
    readonly byte[] _hint = new byte[StreamProtocol.MaxHintBytes];
    int _wakes;

    StreamOutbox NewOutbox() => new(() => Interlocked.Increment(ref _wakes));

    static byte[] Reply(string text) => Encoding.UTF8.GetBytes(text);

    (Guid Vault, long Head) ReadHint(OutboxFrame frame)
    {
        frame.Kind.ShouldBe(OutboxFrameKind.Hint);
        using var json = JsonDocument.Parse(frame.Frame.AsMemory(0, frame.Length));
        return (json.RootElement.GetProperty("vault").GetGuid(), json.RootElement.GetProperty("head").GetInt64());
    }

    List<OutboxFrame> Drain(StreamOutbox outbox)
    {
        List<OutboxFrame> frames = [];
        while (outbox.TakeNext(_hint) is { Kind: not OutboxFrameKind.None } f)
        {
            // a hint is written into the shared buffer: copy it before taking the next one
            frames.Add(f with { Frame = f.Frame.AsSpan(0, f.Length).ToArray() });
        }
        return frames;
    }

    [Fact]
    public void Hints_for_one_vault_coalesce_into_one_frame_with_the_highest_head()
    {
        var outbox = NewOutbox();
        var vault = Guid.NewGuid();
        _ = outbox.AddSubscriptionsAndReply([vault], Reply("{}"));
        outbox.TakeNext(_hint).Kind.ShouldBe(OutboxFrameKind.Reply);

        for (var head = 1; head <= 1000; head++) outbox.OfferHint(vault, head);
        outbox.PendingHints.ShouldBe(1);
        ReadHint(outbox.TakeNext(_hint)).ShouldBe((vault, 1000L));
        outbox.TakeNext(_hint).Kind.ShouldBe(OutboxFrameKind.None);
    }

    [Fact]
    public void A_head_at_or_below_the_last_offered_one_and_a_hint_for_an_unsubscribed_vault_are_dropped()
    {
        var outbox = NewOutbox();
        var vault = Guid.NewGuid();
        _ = outbox.AddSubscriptionsAndReply([vault], Reply("{}"));
        Drain(outbox);
        outbox.OfferHint(vault, 7);
        Drain(outbox).Count.ShouldBe(1);

        outbox.OfferHint(vault, 7);
        outbox.OfferHint(vault, 3);
        outbox.OfferHint(Guid.NewGuid(), 9);
        outbox.PendingHints.ShouldBe(0);
        outbox.TakeNext(_hint).Kind.ShouldBe(OutboxFrameKind.None);
    }

    [Fact]
    public void Hints_come_out_in_the_order_their_vaults_first_became_pending()
    {
        var outbox = NewOutbox();
        var vaults = Enumerable.Range(0, 5).Select(_ => Guid.NewGuid()).ToArray();
        _ = outbox.AddSubscriptionsAndReply(vaults, Reply("{}"));
        Drain(outbox);
        outbox.OfferHint(vaults[3], 1);
        outbox.OfferHint(vaults[0], 1);
        outbox.OfferHint(vaults[3], 2); // coalesces, keeps its place
        outbox.OfferHint(vaults[1], 1);

        Drain(outbox).Select(ReadHint).ShouldBe([(vaults[3], 2L), (vaults[0], 1L), (vaults[1], 1L)]);
        outbox.PendingHighWater.ShouldBe(3);
    }

    [Fact]
    public void The_subscribe_reply_goes_out_before_any_hint_for_the_vaults_it_accepted()
    {
        var outbox = NewOutbox();
        var vault = Guid.NewGuid();
        var sent = outbox.AddSubscriptionsAndReply([vault], Reply("{\"subscribed\":[]}"));
        outbox.OfferHint(vault, 5);

        var first = outbox.TakeNext(_hint);
        first.Kind.ShouldBe(OutboxFrameKind.Reply);
        Encoding.UTF8.GetString(first.Frame!, 0, first.Length).ShouldBe("{\"subscribed\":[]}");
        sent.IsCompleted.ShouldBeFalse("released by the sender once the frame is written");
        first.ReplySent!.TrySetResult();
        sent.IsCompleted.ShouldBeTrue();
        ReadHint(outbox.TakeNext(_hint)).ShouldBe((vault, 5L));
    }

    [Fact]
    public void Losing_access_drops_the_vaults_pending_hints_and_queues_one_denied_frame_before_other_hints()
    {
        var outbox = NewOutbox();
        var (kept, lost1, lost2) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        _ = outbox.AddSubscriptionsAndReply([kept, lost1, lost2], Reply("{}"));
        Drain(outbox);
        outbox.OfferHint(lost1, 1);
        outbox.OfferHint(kept, 1);
        outbox.OfferHint(lost2, 1);

        outbox.RetainReachable(new HashSet<Guid> { kept }).ShouldBe([lost1, lost2], ignoreOrder: true);
        outbox.PendingHints.ShouldBe(1);
        outbox.Subscriptions().ShouldBe([kept]);

        var frames = Drain(outbox);
        frames.Select(f => f.Kind).ShouldBe([OutboxFrameKind.Denied, OutboxFrameKind.Hint]);
        using var denied = JsonDocument.Parse(frames[0].Frame.AsMemory(0, frames[0].Length));
        denied.RootElement.GetProperty("denied").EnumerateArray().Select(e => e.GetGuid()).ShouldBe([lost1, lost2], ignoreOrder: true);
        ReadHint(frames[1]).ShouldBe((kept, 1L));
        outbox.OfferHint(lost1, 2);
        outbox.PendingHints.ShouldBe(0, "no hint for a vault whose access ended");
    }

    [Fact]
    public void A_close_drops_everything_pending_releases_an_unsent_reply_and_is_taken_once()
    {
        var outbox = NewOutbox();
        var vault = Guid.NewGuid();
        var sent = outbox.AddSubscriptionsAndReply([vault], Reply("{}"));
        outbox.OfferHint(vault, 1);

        outbox.RequestClose(WebSocketCloseStatus.PolicyViolation, "first").ShouldBeTrue();
        outbox.RequestClose(WebSocketCloseStatus.NormalClosure, "second").ShouldBeFalse("the first close wins");
        sent.IsCompleted.ShouldBeTrue("the receive loop must not wait for a reply that will never be sent");
        outbox.PendingHints.ShouldBe(0);

        var close = outbox.TakeNext(_hint);
        close.Kind.ShouldBe(OutboxFrameKind.Close);
        close.Close.ShouldBe((WebSocketCloseStatus.PolicyViolation, "first"));
        outbox.TakeNext(_hint).Kind.ShouldBe(OutboxFrameKind.None);

        outbox.OfferHint(vault, 2);
        outbox.AddSubscriptionsAndReply([Guid.NewGuid()], Reply("{}")).IsCompleted.ShouldBeTrue();
        outbox.RetainReachable(new HashSet<Guid>()).ShouldBeEmpty();
        outbox.TakeNext(_hint).Kind.ShouldBe(OutboxFrameKind.None);
    }

    [Fact]
    public void Every_change_wakes_the_sender_and_a_dropped_hint_does_not()
    {
        var outbox = NewOutbox();
        var vault = Guid.NewGuid();
        _ = outbox.AddSubscriptionsAndReply([vault], Reply("{}"));
        _wakes.ShouldBe(1);
        outbox.OfferHint(vault, 1);
        _wakes.ShouldBe(2);
        outbox.OfferHint(vault, 1);
        outbox.OfferHint(Guid.NewGuid(), 1);
        _wakes.ShouldBe(2);
        outbox.RequestClose(WebSocketCloseStatus.NormalClosure, "");
        _wakes.ShouldBe(3);
    }
}
