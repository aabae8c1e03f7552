using Spectre.Console;
using TinySync.Client.Engine;

namespace TinySync.Cli;

/// <summary>
/// Prints engine messages. In an interactive terminal transfers show Spectre.Console progress bars; otherwise (pipes,
/// CI, daemons under a service manager) plain timestamped lines only.
/// </summary>
internal sealed class ConsoleObserver(bool verbose) : ISyncObserver
{
    ProgressContext? _ctx;
    readonly Dictionary<string, ProgressTask> _tasks = [];
    readonly List<string> _deferred = [];

    public static bool Interactive => !Console.IsOutputRedirected && !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("TERM") is not (null or "dumb");

    public void Message(MessageLevel level, string text)
    {
        if (level == MessageLevel.Info && !verbose) return;
        var line = level == MessageLevel.Warning ? "warning: " + text : text;
        if (_ctx is not null)
        {
            lock (_deferred) _deferred.Add(line);
            return;
        }
        Console.Error.WriteLine(Interactive ? line : $"{DateTime.UtcNow:HH:mm:ss.fff} {line}");
    }

    public void Progress(string phase, long done, long total)
    {
        if (_ctx is null || total <= 0) return;
        lock (_tasks)
        {
            if (!_tasks.TryGetValue(phase, out var task))
            {
                task = _ctx.AddTask(phase, maxValue: total);
                _tasks[phase] = task;
            }
            task.MaxValue = total;
            task.Value = Math.Min(done, total);
        }
    }

    /// <summary>Runs <paramref name="work"/> under progress bars when interactive.</summary>
    public async Task<T> RunAsync<T>(Func<Task<T>> work)
    {
        if (!Interactive) return await work();
        T result = default!;
        await AnsiConsole.Progress().AutoClear(true).HideCompleted(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async ctx =>
            {
                _ctx = ctx;
                try { result = await work(); }
                finally { _ctx = null; }
            });
        lock (_deferred)
        {
            foreach (var line in _deferred) Console.Error.WriteLine(line);
            _deferred.Clear();
        }
        return result;
    }
}
