using System.Diagnostics;

namespace TinySync.Testing;

/// <summary>
/// Waits for a condition, polled, with a deadline that only bounds a failure: the way a test waits for something
/// another process or thread does (never a fixed sleep that assumes it happened).
/// </summary>
public static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> until it holds; a <see cref="TimeoutException"/> naming <paramref name="what"/> after <paramref name="timeout"/> (20 s).</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null, TimeSpan? poll = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(20);
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > limit) throw new TimeoutException($"timed out waiting until {what}");
            await Task.Delay(poll ?? TimeSpan.FromMilliseconds(10));
        }
    }

    /// <inheritdoc cref="TrueAsync(Func{Task{bool}}, string, TimeSpan?, TimeSpan?)"/>
    public static Task TrueAsync(Func<bool> condition, string what, TimeSpan? timeout = null, TimeSpan? poll = null) =>
        TrueAsync(() => Task.FromResult(condition()), what, timeout, poll);
}
