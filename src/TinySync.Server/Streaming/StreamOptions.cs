using System.Globalization;

namespace TinySync.Server.Streaming;

/// <summary>
/// Limits and timers of the wake-hint stream (<c>GET /v1/stream</c>). Defaults suit production; tests and
/// benchmarks shorten the timers with <c>TINYSYNC_STREAM_*</c> settings.
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

    /// <summary>Reads <c>TINYSYNC_STREAM_SEND_TIMEOUT_SECONDS</c>, <c>TINYSYNC_STREAM_KEEPALIVE_SECONDS</c>,
    /// <c>TINYSYNC_STREAM_RECHECK_SECONDS</c> and <c>TINYSYNC_STREAM_MAX_SUBSCRIPTIONS</c>.</summary>
    public static StreamOptions From(IConfiguration config)
    {
        var o = new StreamOptions();
        if (Seconds(config, "TINYSYNC_STREAM_SEND_TIMEOUT_SECONDS") is { } send) o.SendTimeout = send;
        if (Seconds(config, "TINYSYNC_STREAM_KEEPALIVE_SECONDS") is { } keepAlive)
        {
            o.KeepAliveInterval = keepAlive;
            o.KeepAliveTimeout = keepAlive;
        }
        if (Seconds(config, "TINYSYNC_STREAM_RECHECK_SECONDS") is { } recheck) o.RecheckInterval = recheck;
        if (config["TINYSYNC_STREAM_MAX_SUBSCRIPTIONS"] is { Length: > 0 } max)
        {
            if (!int.TryParse(max, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1)
                throw new InvalidOperationException($"TINYSYNC_STREAM_MAX_SUBSCRIPTIONS must be a positive whole number (got '{max}')");
            o.MaxSubscriptions = n;
        }
        return o;
    }

    static TimeSpan? Seconds(IConfiguration config, string key)
    {
        if (config[key] is not { Length: > 0 } text) return null;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) || s <= 0 || s > 86_400)
            throw new InvalidOperationException($"{key} must be a number of seconds between 0 and 86400 (got '{text}')");
        return TimeSpan.FromSeconds(s);
    }
}
