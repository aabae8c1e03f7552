using TinySync.Client.Api;
using TinySync.Client.Engine;

namespace TinySync.Client.Status;

/// <summary>What a round is moving right now: files and bytes done out of the round's plan, up and down.</summary>
public sealed record InFlight(int FilesUp, int FilesUpTotal, long BytesUp, long BytesUpTotal, int FilesDown, int FilesDownTotal, long BytesDown, long BytesDownTotal);

/// <summary>
/// One link's live activity, fed by the engine's observer events and forwarded to the inner observer: what the
/// current round moves (<see cref="InFlight"/>), what the cycle moved, the names the scan keeps out; at the end of a
/// cycle, the <see cref="LastSync"/> record. Thread-safe (transfers report from several threads).
/// </summary>
public sealed class LinkActivity(ISyncObserver inner) : ISyncObserver
{
    readonly Lock _lock = new();
    readonly SortedDictionary<string, string> _unsyncable = new(StringComparer.Ordinal);
    SyncTally _cycle = new();
    bool _running;
    int _upFiles, _upFilesTotal, _downFiles, _downFilesTotal;
    long _upBytes, _upBytesTotal, _downBytes, _downBytesTotal;

    /// <summary>What the current round moves, or null between cycles.</summary>
    public InFlight? InFlight
    {
        get
        {
            lock (_lock)
            {
                return _running ? new InFlight(_upFiles, _upFilesTotal, _upBytes, _upBytesTotal, _downFiles, _downFilesTotal, _downBytes, _downBytesTotal) : null;
            }
        }
    }

    /// <summary>A cycle starts: nothing planned yet.</summary>
    public void Begin()
    {
        lock (_lock)
        {
            _running = true;
            _cycle = new SyncTally();
            _unsyncable.Clear();
            Reset(new PlanTotals(0, 0, 0, 0, 0));
        }
    }

    /// <summary>A cycle ended with a result: the record of what it moved and what is left.</summary>
    public LastSync Complete(LinkResult result)
    {
        lock (_lock)
        {
            _running = false;
            var pending = result.Pending.Concat(_unsyncable.Select(u => $"{u.Key}: not synced, {u.Value}; rename it to sync it")).ToList();
            return new LastSync(DateTimeOffset.UtcNow, result.Converged, _cycle.Snapshot(), pending);
        }
    }

    /// <summary>A cycle stopped on an error it will retry after: the record says so.</summary>
    public LastSync Failed(string error)
    {
        lock (_lock)
        {
            _running = false;
            return new LastSync(DateTimeOffset.UtcNow, false, _cycle.Snapshot(), [$"retry after an error: {error}"]);
        }
    }

    void Reset(PlanTotals t)
    {
        _upFiles = _downFiles = 0;
        _upBytes = _downBytes = 0;
        _upFilesTotal = t.UploadFiles;
        _upBytesTotal = t.UploadBytes;
        _downFilesTotal = t.DownloadFiles;
        _downBytesTotal = t.DownloadBytes;
    }

    /// <inheritdoc/>
    public void Message(MessageLevel level, string text) => inner.Message(level, text);

    /// <inheritdoc/>
    public void Progress(string phase, long done, long total)
    {
        lock (_lock)
        {
            switch (phase)
            {
                case "upload": _upBytes = done; _upBytesTotal = Math.Max(_upBytesTotal, total); break;
                case "download": _downBytes = done; _downBytesTotal = Math.Max(_downBytesTotal, total); break;
            }
        }
        inner.Progress(phase, done, total);
    }

    /// <inheritdoc/>
    public void Planned(PlanTotals totals)
    {
        lock (_lock) Reset(totals);
        inner.Planned(totals);
    }

    /// <inheritdoc/>
    public void Done(SyncEvent e)
    {
        lock (_lock)
        {
            _cycle.Add(e);
            if (e.Kind == SyncEventKind.Uploaded) _upFiles++;
            else if (e.Kind == SyncEventKind.Downloaded) _downFiles++;
        }
        inner.Done(e);
    }

    /// <inheritdoc/>
    public void Retrying(RetryNotice notice) => inner.Retrying(notice);

    /// <inheritdoc/>
    public void Unsyncable(string shown, string reason)
    {
        lock (_lock) _unsyncable[shown] = reason;
        inner.Unsyncable(shown, reason);
    }
}
