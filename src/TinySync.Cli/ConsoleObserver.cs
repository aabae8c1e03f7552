using System.Diagnostics;
using TinySync.Client.Api;
using TinySync.Client.Engine;

namespace TinySync.Cli;

/// <summary>
/// The engine's messages, progress, per-item events and retries, for people: a status line in a terminal, plain
/// timestamped lines otherwise (<see cref="ProgressDisplay"/>); the summary of what moved; each distinct warning said
/// once (a warning about one bad name repeats every round otherwise), again only after ten minutes without it.
/// </summary>
internal sealed class ConsoleObserver : ISyncObserver, IDisposable
{
    static readonly TimeSpan ForgetWarningAfter = TimeSpan.FromMinutes(10);

    readonly bool _verbose;
    readonly bool _daemon;
    readonly ProgressDisplay _display;
    readonly Dictionary<string, long> _warned = new(StringComparer.Ordinal);

    public ConsoleObserver(bool verbose, bool daemon = false)
    {
        _verbose = verbose;
        _daemon = daemon;
        _display = new ProgressDisplay(daemon ? DisplayMode.Log : Interactive ? DisplayMode.Terminal : DisplayMode.Plain, () => Summary.FilesDone);
    }

    /// <summary>stderr is a terminal that understands cursor movement.</summary>
    public static bool Interactive => !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("TERM") is not (null or "" or "dumb");

    /// <summary>What moved so far.</summary>
    public SyncSummary Summary { get; } = new();

    public void Message(MessageLevel level, string text)
    {
        if (level == MessageLevel.Info && !_verbose) return;
        if (level == MessageLevel.Warning && !FirstTime(text)) return;
        _display.Print(level == MessageLevel.Warning ? "warning: " + text : text);
    }

    bool FirstTime(string warning)
    {
        var now = Stopwatch.GetTimestamp();
        lock (_warned)
        {
            var known = _warned.TryGetValue(warning, out var last) && Stopwatch.GetElapsedTime(last, now) < ForgetWarningAfter;
            if (_warned.Count >= 10_000 && !known) _warned.Clear(); // bounded: a daemon runs for months
            _warned[warning] = now;
            return !known;
        }
    }

    public void Progress(string phase, long done, long total) => _display.Progress(phase, done, total);

    public void Planned(PlanTotals totals) => _display.Planned(totals);

    public void Done(SyncEvent e)
    {
        Summary.Add(e);
        _display.ItemDone();
        if (_daemon || _verbose) _display.Print(SyncSummary.Describe(e));
    }

    public void Retrying(RetryNotice notice) => _display.Retrying(notice);

    /// <summary>Runs <paramref name="work"/> with the progress display on.</summary>
    public async Task<T> RunAsync<T>(Func<Task<T>> work)
    {
        _display.Start();
        try
        {
            return await work();
        }
        finally
        {
            _display.Stop();
        }
    }

    public void Dispose() => _display.Dispose();
}
