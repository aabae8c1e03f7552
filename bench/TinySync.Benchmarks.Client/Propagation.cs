using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

/// <summary>
/// Daemon propagation (issue 17): a small file written in A's folder until B's folder holds it, over N edits, with two
/// real <c>tinysync -v daemon</c> processes. Where the time goes is read from the daemons' own <c>-v</c> lines, each
/// stamped when it arrives here: A's round line ("pull X ms, scan+plan Y ms, N action(s)") and its "executed in Z ms"
/// line, then B's. Per edit: the watcher and its debounce (write → A's round start), A's pull, scan+plan, upload+commit,
/// the hint and B's wake (A's commit done → B's round start), B's pull, scan+plan, download+placement, and the rest
/// until this program saw the file.
/// </summary>
static partial class Propagation
{
    sealed record Line(double AtMs, string Text);

    [GeneratedRegex(@"round \d+: pull (\d+) ms, scan\+plan (\d+) ms, (\d+) action")]
    private static partial Regex RoundLine();

    [GeneratedRegex(@"round \d+: executed in (\d+) ms")]
    private static partial Regex ExecutedLine();

    public static async Task<int> RunAsync(string dll, string homeA, string dirA, string homeB, string dirB, int n)
    {
        var clock = Stopwatch.StartNew();
        var linesA = new ConcurrentQueue<Line>();
        var linesB = new ConcurrentQueue<Line>();
        Process Daemon(string home, ConcurrentQueue<Line> lines)
        {
            var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
            psi.ArgumentList.Add(dll);
            psi.ArgumentList.Add("-v");
            psi.ArgumentList.Add("daemon");
            psi.Environment["TINYSYNC_HOME"] = home;
            var p = Process.Start(psi)!;
            void Add(string? text)
            {
                if (text is not null) lines.Enqueue(new Line(clock.Elapsed.TotalMilliseconds, text));
            }
            p.ErrorDataReceived += (_, e) => Add(e.Data);
            p.OutputDataReceived += (_, e) => Add(e.Data);
            p.BeginErrorReadLine();
            p.BeginOutputReadLine();
            return p;
        }
        using var a = Daemon(homeA, linesA);
        using var b = Daemon(homeB, linesB);
        try
        {
            await Task.Delay(3000); // both connected and idle
            var edits = new List<(double Start, double End)>();
            for (var i = 0; i < n; i++)
            {
                var name = $"lat-{i:000}.txt";
                var content = $"edit {i} {Guid.NewGuid()}";
                var target = Path.Combine(dirB, name);
                var start = clock.Elapsed.TotalMilliseconds;
                await File.WriteAllTextAsync(Path.Combine(dirA, name), content);
                while (true)
                {
                    try
                    {
                        if (File.Exists(target) && await File.ReadAllTextAsync(target) == content) break;
                    }
                    catch (IOException) { }
                    if (clock.Elapsed.TotalMilliseconds - start > 30_000) throw new TimeoutException($"edit {i} did not arrive in 30 s");
                    await Task.Delay(1);
                }
                edits.Add((start, clock.Elapsed.TotalMilliseconds));
                await Task.Delay(100); // independent edits, not a burst
            }
            await Task.Delay(200); // the last lines
            var samples = edits.Select(e => e.End - e.Start).Order().ToList();
            Console.WriteLine($"propagation over {n} edits: p50 {P(samples, 0.50):0.0} ms, p90 {P(samples, 0.90):0.0} ms, p99 {P(samples, 0.99):0.0} ms, max {samples[^1]:0.0} ms");
            Breakdown(edits, [.. linesA], [.. linesB]);
            return 0;
        }
        finally
        {
            a.Kill(true);
            b.Kill(true);
        }
    }

    static double P(List<double> sorted, double q) => sorted[(int)Math.Min(sorted.Count - 1, Math.Ceiling(q * sorted.Count) - 1)];

    // The first round line with actions at or after `from`, and the "executed" line after it.
    static (double Start, double Pull, double Scan, double Executed, double ExecMs)? Round(List<Line> lines, double from, double until)
    {
        for (var i = 0; i < lines.Count; i++)
        {
            if (lines[i].AtMs < from || lines[i].AtMs > until) continue;
            var m = RoundLine().Match(lines[i].Text);
            if (!m.Success || m.Groups[3].Value == "0") continue;
            double Num(Match x, int g) => double.Parse(x.Groups[g].Value, CultureInfo.InvariantCulture);
            var (pull, scan) = (Num(m, 1), Num(m, 2));
            for (var j = i + 1; j < lines.Count; j++)
            {
                var x = ExecutedLine().Match(lines[j].Text);
                if (x.Success) return (lines[i].AtMs - pull - scan, pull, scan, lines[j].AtMs, Num(x, 1));
            }
            return null;
        }
        return null;
    }

    static void Breakdown(List<(double Start, double End)> edits, List<Line> linesA, List<Line> linesB)
    {
        string[] parts = ["watcher+debounce (A)", "pull (A)", "scan+plan (A)", "upload+commit (A)", "hint+wake (B)", "pull (B)", "scan+plan (B)",
            "download+placement (B)", "until seen"];
        var values = parts.Select(_ => new List<double>()).ToArray();
        var unattributed = 0;
        foreach (var (start, end) in edits)
        {
            if (Round(linesA, start, end) is not { } ra || Round(linesB, ra.Executed - ra.ExecMs, end + 50) is not { } rb)
            {
                unattributed++;
                continue;
            }
            double[] v = [ra.Start - start, ra.Pull, ra.Scan, ra.ExecMs, rb.Start - ra.Executed, rb.Pull, rb.Scan, rb.ExecMs, end - rb.Executed];
            for (var k = 0; k < v.Length; k++) values[k].Add(v[k]);
        }
        Console.WriteLine($"where the time goes ({edits.Count - unattributed} edits attributed from the daemons' -v lines, {unattributed} not), p50 / p90 ms:");
        for (var k = 0; k < parts.Length; k++)
        {
            var sorted = values[k].Order().ToList();
            if (sorted.Count > 0) Console.WriteLine($"  {parts[k],-24} {P(sorted, 0.50),7:0.0} {P(sorted, 0.90),7:0.0}");
        }
    }
}
