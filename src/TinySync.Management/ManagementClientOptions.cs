namespace TinySync.Management;

/// <summary>Settings of a <see cref="TinySyncManagementClient"/>. The defaults suit a Platform Service.</summary>
public sealed class ManagementClientOptions
{
    /// <summary>Retries after the first attempt for transient failures (network errors, 429, 502, 503, 504). 0 disables retries. Default 3.</summary>
    public int MaxRetryAttempts { get; set; } = 3;

    /// <summary>First retry delay; later ones grow exponentially, with jitter. Default 200 ms.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Upper bound of any retry delay, including one asked for by <c>Retry-After</c>. Default 10 s.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Receives every exchange, tokens redacted. Null for none.</summary>
    public IManagementCallObserver? Observer { get; set; }

    /// <summary>Bodies handed to the observer are cut to this many characters. Default 16384.</summary>
    public int MaxObservedBodyChars { get; set; } = 16 * 1024;

    /// <summary>Clock for <see cref="ManagementCall.StartedAt"/> and the retry delays (tests). Default the system clock.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
