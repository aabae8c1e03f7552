using System.Diagnostics;
using System.Globalization;
using TinySync.Client.Api;
using TinySync.Client.Engine;

namespace TinySync.Cli;

/// <summary>How progress reaches the user.</summary>
internal enum DisplayMode
{
    /// <summary>stderr is a terminal: one status line redrawn five times a second, messages printed above it.</summary>
    Terminal,
    /// <summary>Not a terminal (pipe, CI, file): one timestamped line at each 10 % of the bytes to move or every 2 s.</summary>
    Plain,
    /// <summary>The daemon: timestamped messages and retry lines only (no periodic progress, it runs for days).</summary>
    Log,
}

/// <summary>
/// The progress state of a run (files done/total, bytes, rate, retries) and its rendering (decision 0432). A rate is
/// shown only once at least a second of transfer was measured; before any number is known the line says what the
/// client waits for, so the terminal is never blank.
/// </summary>
internal sealed class ProgressDisplay(DisplayMode mode, Func<int> filesDone) : IDisposable
{
    static readonly TimeSpan PlainEvery = TimeSpan.FromSeconds(2);
    static readonly TimeSpan RateWindow = TimeSpan.FromSeconds(5);
    static readonly string[] Spinner = ["|", "/", "-", "\\"];

    readonly Lock _lock = new();
    readonly List<(long At, long Bytes)> _samples = [];
    Timer? _timer;
    long _started;
    int _frame;
    bool _lineShown;

    // progress of the current round and what earlier rounds moved
    long _upDone, _upTotal, _downDone, _downTotal, _carryDone, _carryTotal, _scanDone, _scanTotal;
    int _filesTotal;
    bool _planned;
    RetryNotice? _retry;
    long _retryAt;

    // plain mode
    long _lastPlain;
    int _nextTenth = 1;

    public void Start()
    {
        _started = _lastPlain = Stopwatch.GetTimestamp();
        if (mode == DisplayMode.Log) return;
        var period = mode == DisplayMode.Terminal ? TimeSpan.FromMilliseconds(200) : TimeSpan.FromMilliseconds(250);
        _timer = new Timer(_ => Tick(), null, mode == DisplayMode.Terminal ? TimeSpan.Zero : period, period);
    }

    public void Stop()
    {
        _timer?.Dispose();
        _timer = null;
        lock (_lock)
        {
            if (_lineShown) Console.Error.Write("\r\x1b[2K");
            _lineShown = false;
        }
    }

    public void Dispose() => Stop();

    /// <summary>A message line (already filtered), printed above the status line or with a timestamp.</summary>
    public void Print(string line)
    {
        lock (_lock)
        {
            if (mode == DisplayMode.Terminal)
            {
                if (_lineShown) Console.Error.Write("\r\x1b[2K");
                Term.Err(line);
                if (_lineShown) Draw();
            }
            else
            {
                Term.Err($"{DateTime.UtcNow.ToString("HH:mm:ss", CultureInfo.InvariantCulture)} {line}");
            }
        }
    }

    public void Planned(PlanTotals t)
    {
        lock (_lock)
        {
            _carryDone += _upDone + _downDone;
            _carryTotal += _upDone + _downDone;
            _upDone = _downDone = 0;
            _upTotal = t.UploadBytes;
            _downTotal = t.DownloadBytes;
            _filesTotal = filesDone() + t.UploadFiles + t.DownloadFiles;
            _planned = true;
            _retry = null;
            _nextTenth = Math.Max(_nextTenth, TenthsDone() + 1);
        }
    }

    public void Progress(string phase, long done, long total)
    {
        lock (_lock)
        {
            switch (phase)
            {
                case "upload": _upDone = done; _upTotal = total; break;
                case "download": _downDone = done; _downTotal = total; break;
                case "scan": _scanDone = done; _scanTotal = total; break;
            }
            _retry = null;
            if (mode == DisplayMode.Plain && phase != "scan") PlainLine(Stopwatch.GetTimestamp()); // each 10 % as it is crossed
        }
    }

    public void ItemDone()
    {
        lock (_lock) _retry = null;
    }

    public void Retrying(RetryNotice notice)
    {
        lock (_lock)
        {
            _retry = notice;
            _retryAt = Stopwatch.GetTimestamp();
            if (mode != DisplayMode.Terminal)
            {
                Term.Err($"{DateTime.UtcNow.ToString("HH:mm:ss", CultureInfo.InvariantCulture)} {RetryText(notice, notice.Delay)}");
                _lastPlain = Stopwatch.GetTimestamp();
            }
        }
    }

    static string RetryText(RetryNotice n, TimeSpan left) =>
        $"{n.Reason}, retry {n.Attempt} in {(left.TotalSeconds < 10 ? Math.Max(0, left.TotalSeconds).ToString("0.0", CultureInfo.InvariantCulture) + "s" : Term.Duration(left))}";

    long BytesDone => _carryDone + _upDone + _downDone;
    long BytesTotal => _carryTotal + _upTotal + _downTotal;
    int TenthsDone() => BytesTotal <= 0 ? 0 : (int)Math.Min(10, BytesDone * 10 / BytesTotal);

    void Tick()
    {
        lock (_lock)
        {
            var now = Stopwatch.GetTimestamp();
            _samples.Add((now, BytesDone));
            // the window starts when bytes last stood still (idle time before a transfer is no part of its rate)
            while (_samples.Count > 2 && (_samples[1].Bytes == _samples[0].Bytes || Stopwatch.GetElapsedTime(_samples[0].At, now) > RateWindow)) _samples.RemoveAt(0);
            if (mode == DisplayMode.Terminal)
            {
                _frame++;
                Draw();
                return;
            }
            PlainLine(now);
        }
    }

    // plain mode: a line when the next 10 % of the bytes is reached, or 2 s after the last line
    void PlainLine(long now)
    {
        var tenths = TenthsDone();
        var due = tenths >= _nextTenth && BytesTotal > 0;
        // every byte sent but the last file not yet committed: "0/1 files, 6 B/6 B (100%)" would read as a stall; the
        // line follows once the file is counted (or the summary line says it)
        if (due && tenths == 10 && filesDone() < _filesTotal) return;
        if (!due && Stopwatch.GetElapsedTime(_lastPlain, now) < PlainEvery) return;
        if (due) _nextTenth = tenths + 1;
        _lastPlain = now;
        Term.Err($"{DateTime.UtcNow.ToString("HH:mm:ss", CultureInfo.InvariantCulture)} {Status(now)}");
    }

    void Draw()
    {
        var text = $"{Spinner[_frame % Spinner.Length]} {Status(Stopwatch.GetTimestamp())}";
        var width = Console.IsErrorRedirected ? 0 : SafeWidth();
        if (width > 10 && text.Length >= width) text = text[..(width - 2)] + "…";
        Console.Error.Write("\r\x1b[2K" + Term.Escape(text));
        _lineShown = true;
    }

    static int SafeWidth()
    {
        try { return Console.WindowWidth; }
        catch (IOException) { return 0; }
    }

    /// <summary>The status in words, e.g. "syncing 3/10 files, 4.2 MB/12.4 MB (34%), 2.1 MB/s".</summary>
    string Status(long now)
    {
        if (_retry is { } r)
        {
            return RetryText(r, r.Delay - Stopwatch.GetElapsedTime(_retryAt, now));
        }
        if (!_planned)
        {
            if (_scanTotal > 0 && _scanDone < _scanTotal) return $"scanning the folder: {Term.Bytes(_scanDone)}/{Term.Bytes(_scanTotal)} hashed ({_scanDone * 100 / _scanTotal}%)";
            return $"checking the server and the folder ({Term.Duration(Stopwatch.GetElapsedTime(_started, now))})";
        }
        var text = $"syncing {filesDone()}/{_filesTotal} files";
        if (BytesTotal > 0) text += $", {Term.Bytes(BytesDone)}/{Term.Bytes(BytesTotal)} ({BytesDone * 100 / BytesTotal}%)";
        if (Rate(now) is { } rate) text += $", {Term.Bytes((long)rate)}/s";
        return text;
    }

    // bytes per second over the last few seconds, once at least one second with bytes moving was measured
    double? Rate(long now)
    {
        if (_samples.Count < 2) return null;
        var (at, bytes) = _samples[0];
        var span = Stopwatch.GetElapsedTime(at, now);
        var moved = BytesDone - bytes;
        if (span < TimeSpan.FromSeconds(1) || moved <= 0) return null;
        return moved / span.TotalSeconds;
    }
}
