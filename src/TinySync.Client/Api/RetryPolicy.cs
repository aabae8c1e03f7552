using System.Diagnostics;
using System.Net.Http.Headers;
using Polly;
using Polly.Retry;

namespace TinySync.Client.Api;

/// <summary>Retry policy for transient failures (connection refused, timeouts, 5xx, 429).</summary>
/// <param name="Attempts">Most attempts per request.</param>
/// <param name="FirstDelay">Delay before the first retry; doubles each time, with jitter.</param>
/// <param name="MaxDelay">Cap on one backoff delay (a longer <c>Retry-After</c> is still honoured, within <see cref="GiveUpAfter"/>).</param>
public sealed record RetryPolicy(int Attempts, TimeSpan FirstDelay, TimeSpan MaxDelay)
{
    /// <summary>
    /// How long the server may stay unreachable (every request failing, counted from the first failure after the last
    /// success) before requests stop being retried and fail at once. Documented in docs/client.md (decision 0431).
    /// </summary>
    public TimeSpan GiveUpAfter { get; init; } = TimeSpan.MaxValue;

    /// <summary>The documented give-up time of <see cref="Default"/>.</summary>
    public static TimeSpan DefaultGiveUp { get; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries for 30 seconds of server absence: enough to ride out a server restart.</summary>
    public static RetryPolicy Default { get; } = new(int.MaxValue, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(5)) { GiveUpAfter = DefaultGiveUp }; // after DefaultGiveUp: static initializers run in order

    /// <summary>Fails fast (one attempt): for interactive commands that should answer at once.</summary>
    public static RetryPolicy None { get; } = new(1, TimeSpan.Zero, TimeSpan.Zero);
}

/// <summary>One retry about to happen, as shown to the user: "server unreachable, retry N in Xs".</summary>
/// <param name="Attempt">Retry number since the server last answered (1 = first retry).</param>
/// <param name="Delay">Wait before it.</param>
/// <param name="Reason">Why, e.g. "server unreachable (connection refused)" or "server busy (503)".</param>
public sealed record RetryNotice(int Attempt, TimeSpan Delay, string Reason);

/// <summary>A retryable answer (5xx, 429, 408): the exception it becomes if retries run out, and its <c>Retry-After</c>.</summary>
sealed class RetryableResponseException(Exception final, int status, TimeSpan? retryAfter) : Exception(final.Message, final)
{
    public Exception Final { get; } = final;
    public int Status { get; } = status;
    public TimeSpan? RetryAfter { get; } = retryAfter;
}

/// <summary>
/// The device API client's retries (Polly): exponential backoff with jitter, at least the server's <c>Retry-After</c>,
/// and one give-up clock shared by all requests of the client, so a vanished server ends a sync after
/// <see cref="RetryPolicy.GiveUpAfter"/> however many requests were in flight or queued (decision 0431).
/// </summary>
sealed class DeviceRetries
{
    readonly RetryPolicy _policy;
    readonly Func<Exception, CancellationToken, bool> _transient;
    readonly Func<Exception, string> _describe;
    long _failingSince; // Stopwatch timestamp of the first failure after the last success; 0 while healthy
    int _reported; // highest retry number reported since the last success

    public DeviceRetries(RetryPolicy policy, Func<Exception, CancellationToken, bool> transient, Func<Exception, string> describe)
    {
        _policy = policy;
        _transient = transient;
        _describe = describe;
        var builder = new ResiliencePipelineBuilder();
        if (policy.Attempts > 1)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = policy.Attempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = policy.FirstDelay <= TimeSpan.Zero ? TimeSpan.FromMilliseconds(1) : policy.FirstDelay,
                MaxDelay = policy.MaxDelay <= TimeSpan.Zero ? TimeSpan.FromMilliseconds(1) : policy.MaxDelay,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e && ShouldRetry(e, args.Context.CancellationToken)),
                DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(
                    args.Outcome.Exception is RetryableResponseException { RetryAfter: { } wait } ? Max(wait, Backoff(args.AttemptNumber)) : null),
                OnRetry = args =>
                {
                    Report(args.AttemptNumber + 1, args.RetryDelay, args.Outcome.Exception!);
                    return ValueTask.CompletedTask;
                },
            });
        }
        Pipeline = builder.Build();
    }

    public ResiliencePipeline Pipeline { get; }

    /// <summary>Raised before a retry that goes further than any reported since the server last answered.</summary>
    public event Action<RetryNotice>? Retrying;

    /// <summary>The server answered: the give-up clock and the retry numbering start again.</summary>
    public void Succeeded()
    {
        if (Interlocked.Read(ref _failingSince) != 0) Interlocked.Exchange(ref _failingSince, 0);
        if (Volatile.Read(ref _reported) != 0) Interlocked.Exchange(ref _reported, 0);
    }

    bool ShouldRetry(Exception e, CancellationToken ct)
    {
        if (e is not RetryableResponseException && !_transient(e, ct)) return false;
        var now = Stopwatch.GetTimestamp();
        Interlocked.CompareExchange(ref _failingSince, now, 0);
        var left = _policy.GiveUpAfter == TimeSpan.MaxValue ? TimeSpan.MaxValue : _policy.GiveUpAfter - Stopwatch.GetElapsedTime(Interlocked.Read(ref _failingSince), now);
        if (left <= TimeSpan.Zero) return false;
        // a server that asks for more patience than is left: give up now rather than retry past the documented time
        return e is not RetryableResponseException { RetryAfter: { } wait } || wait <= left;
    }

    TimeSpan Backoff(int attempt)
    {
        var ms = Math.Min(_policy.MaxDelay.TotalMilliseconds, _policy.FirstDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 30)));
        return TimeSpan.FromMilliseconds(ms * (0.75 + Random.Shared.NextDouble() * 0.5));
    }

    static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    void Report(int attempt, TimeSpan delay, Exception e)
    {
        int seen;
        do
        {
            seen = Volatile.Read(ref _reported);
            if (attempt <= seen) return; // a parallel request already said so
        }
        while (Interlocked.CompareExchange(ref _reported, attempt, seen) != seen);
        var reason = e is RetryableResponseException r ? $"server busy ({r.Status})" : $"server unreachable ({_describe(e)})";
        Retrying?.Invoke(new RetryNotice(attempt, delay, reason));
    }

    /// <summary>The wait a 429/503 answer asks for, if any.</summary>
    public static TimeSpan? RetryAfter(HttpResponseHeaders headers) => TinySync.Core.Http.RetryAfter.Of(headers, DateTimeOffset.UtcNow);
}
