using TinySync.Management;

namespace PlatformService.Sync;

/// <summary>The context of the management calls being made now: an event id or an action, shown in the call log.</summary>
public static class CallContext
{
    static readonly AsyncLocal<string?> Current = new();

    /// <summary>The context of calls made on this async flow.</summary>
    public static string? Value => Current.Value;

    /// <summary>Sets the context until the returned scope is disposed.</summary>
    public static IDisposable Begin(string context)
    {
        var previous = Current.Value;
        Current.Value = context;
        return new Scope(previous);
    }

    sealed class Scope(string? previous) : IDisposable
    {
        public void Dispose() => Current.Value = previous;
    }
}

/// <summary>
/// Writes every management call into the catalog's call log. What it receives is already redacted by
/// <see cref="TinySyncManagementClient"/> (the observer boundary); it stores it as is, keeping the newest
/// <paramref name="keep"/> calls (decision 0608).
/// </summary>
public sealed class CallLogObserver(Catalog.Catalog catalog, int keep) : IManagementCallObserver
{
    /// <inheritdoc />
    public async ValueTask OnCallAsync(ManagementCall call, CancellationToken cancellationToken) =>
        await catalog.AppendCallAsync(CallContext.Value, call, keep, cancellationToken).ConfigureAwait(false);
}
