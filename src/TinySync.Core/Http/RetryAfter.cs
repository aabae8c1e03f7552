using System.Net.Http.Headers;

namespace TinySync.Core.Http;

/// <summary>The wait a server asks for with <c>Retry-After</c> (delta seconds or a date), never negative. One reading
/// for the device client and the management client.</summary>
public static class RetryAfter
{
    /// <summary>The wait <paramref name="headers"/> ask for at <paramref name="now"/>, or null when they ask none.</summary>
    public static TimeSpan? Of(HttpResponseHeaders headers, DateTimeOffset now)
    {
        if (headers.RetryAfter is not { } ra) return null;
        if (ra.Delta is { } delta) return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        if (ra.Date is { } date)
        {
            var wait = date - now;
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }
        return null;
    }
}
