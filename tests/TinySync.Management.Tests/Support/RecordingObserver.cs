using System.Collections.Concurrent;

namespace TinySync.Management.Tests.Support;

/// <summary>Keeps every call the client reports.</summary>
public sealed class RecordingObserver : IManagementCallObserver
{
    readonly ConcurrentQueue<ManagementCall> _calls = new();

    public IReadOnlyList<ManagementCall> Calls => [.. _calls];

    /// <summary>Everything the observer saw, as one text, for leak checks.</summary>
    public string AllText => string.Join('\n', _calls.Select(c => $"{c.Method} {c.Path} {c.Status} {c.RequestBody} {c.ResponseBody} {c.Error}"));

    public ValueTask OnCallAsync(ManagementCall call, CancellationToken cancellationToken)
    {
        _calls.Enqueue(call);
        return ValueTask.CompletedTask;
    }
}
