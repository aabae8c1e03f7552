using System.Diagnostics;

namespace TinySync.Testing;

/// <summary>A running <c>tinysync</c> process whose stdout and stderr lines are collected as they come.</summary>
public sealed class CliRun : IDisposable
{
    readonly Process _process;
    readonly List<(TimeSpan At, string Line)> _err = [];
    readonly List<string> _out = [];
    readonly Stopwatch _clock = Stopwatch.StartNew();

    public CliRun(string home, params string[] args)
    {
        _process = Process.Start(CliProcess.Start(home, args))!;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_out) _out.Add(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_err) _err.Add((_clock.Elapsed, e.Data)); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public IReadOnlyList<string> Err { get { lock (_err) return [.. _err.Select(e => e.Line)]; } }
    public IReadOnlyList<string> Out { get { lock (_out) return [.. _out]; } }
    public TimeSpan Elapsed => _clock.Elapsed;
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;

    /// <summary>SIGKILL, as a crash would: nothing is cleaned up.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    /// <summary>Waits until a stderr line matches (or the process ends, or the timeout passes); the line or null.</summary>
    public async Task<string?> WaitForErrAsync(Func<string, bool> match, TimeSpan timeout)
    {
        var deadline = _clock.Elapsed + timeout;
        while (_clock.Elapsed < deadline)
        {
            var hit = Err.FirstOrDefault(match);
            if (hit is not null) return hit;
            if (_process.HasExited) return Err.FirstOrDefault(match);
            await Task.Delay(20);
        }
        return null;
    }

    /// <summary>Waits for the exit; the code.</summary>
    public async Task<int> ExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        _process.WaitForExit(); // flushes the redirected streams
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}
