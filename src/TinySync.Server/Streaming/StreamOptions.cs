using TinySync.Server.Hosting;

namespace TinySync.Server.Streaming;

/// <summary>
/// Limits and timers of the wake-hint stream (<c>GET /v1/stream</c>). Defaults suit production; tests and
/// benchmarks shorten the timers with <c>TinySync:Stream:*</c> settings.
/// </summary>
public sealed class StreamOptions
{
    /// <summary>Most vaults one connection may subscribe to; more closes the stream with 1008.</summary>
    public int MaxSubscriptions { get; set; } = 10_000;

    /// <summary>Largest client message; more closes the stream with 1009.</summary>
    public int MaxMessageBytes { get; set; } = 64 * 1024;

    /// <summary>How long one frame may take to leave; a reader that does not drain its socket is aborted after it.</summary>
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Interval of WebSocket pings.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a ping may go unanswered before the connection is aborted as dead.</summary>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the server waits for the peer's close frame after sending its own.</summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Safety net: every open subscription's access is re-checked at this interval even without a signal.</summary>
    public TimeSpan RecheckInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The defaults, with what <c>TinySync:Stream:…</c> (or <c>TINYSYNC_STREAM_*</c>) sets; validated already.</summary>
    public static StreamOptions From(StreamSettings settings)
    {
        var o = new StreamOptions();
        if (settings.SendTimeoutSeconds is { } send) o.SendTimeout = TimeSpan.FromSeconds(send);
        if (settings.KeepAliveSeconds is { } keepAlive)
        {
            o.KeepAliveInterval = TimeSpan.FromSeconds(keepAlive);
            o.KeepAliveTimeout = TimeSpan.FromSeconds(keepAlive);
        }
        if (settings.RecheckSeconds is { } recheck) o.RecheckInterval = TimeSpan.FromSeconds(recheck);
        if (settings.MaxSubscriptions is { } max) o.MaxSubscriptions = max;
        return o;
    }
}
