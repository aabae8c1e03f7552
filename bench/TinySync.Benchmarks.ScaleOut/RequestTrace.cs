using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

/// <summary>
/// Where a request's time goes (issue 17, decision 0507): listens to the activities of the in-process server
/// (ASP.NET Core's request activity) and of Npgsql (one per command or batch), groups them by trace, and reports the
/// median of each step of a request in order — its start offset from the request's start and its duration — beside
/// the client's own latency histogram (a 40 ms quantum there would be a Nagle / delayed-ACK stall). Npgsql commands
/// outside any request (the hint publisher) are reported apart. <c>COMMIT</c> is not a command in Npgsql's tracing:
/// it shows as the gap between the last statement's end and the request's end.
/// </summary>
sealed class RequestTrace : IDisposable
{
    readonly ActivityListener _listener;
    readonly ConcurrentQueue<Activity> _stopped = new();
    readonly List<double> _client = [];

    public RequestTrace()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is "Npgsql" or "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>Forgets what was recorded so far (the warm-up).</summary>
    public void Clear()
    {
        _stopped.Clear();
        _client.Clear();
    }

    /// <summary>Records one request's latency as the client saw it.</summary>
    public void Client(TimeSpan latency) => _client.Add(latency.TotalMilliseconds);

    /// <summary>The report lines.</summary>
    public IEnumerable<string> Report(string label)
    {
        var all = _stopped.ToArray();
        var requests = all.Where(a => a.Source.Name == "Microsoft.AspNetCore").ToDictionary(a => a.TraceId);
        var steps = new SortedDictionary<int, (string Name, List<double> Offset, List<double> Duration)>();
        var outside = new List<double>();
        var gapsAfterLast = new List<double>();
        foreach (var group in all.Where(a => a.Source.Name == "Npgsql").GroupBy(a => a.TraceId))
        {
            if (!requests.TryGetValue(group.Key, out var request))
            {
                outside.AddRange(group.Select(a => a.Duration.TotalMilliseconds));
                continue;
            }
            var i = 0;
            DateTime lastEnd = request.StartTimeUtc;
            foreach (var a in group.OrderBy(a => a.StartTimeUtc))
            {
                if (!steps.TryGetValue(i, out var s)) steps[i] = s = (Describe(a), [], []);
                s.Offset.Add((a.StartTimeUtc - request.StartTimeUtc).TotalMilliseconds);
                s.Duration.Add(a.Duration.TotalMilliseconds);
                lastEnd = a.StartTimeUtc + a.Duration;
                i++;
            }
            gapsAfterLast.Add((request.StartTimeUtc + request.Duration - lastEnd).TotalMilliseconds);
        }
        var server = requests.Values.Select(r => r.Duration.TotalMilliseconds).ToList();
        yield return Line($"[{label,-8}] traced single-op commits through HTTP: {_client.Count} requests; client latency p50 {P(_client, 50):F2} ms, p90 {P(_client, 90):F2}, p99 {P(_client, 99):F2}, max {Max(_client):F2}; server request p50 {P(server, 50):F2} ms");
        yield return Line($"[{label,-8}]   client latency histogram (ms): {Histogram(_client)}");
        foreach (var (i, s) in steps)
            yield return Line($"[{label,-8}]   step {i + 1}: starts at p50 {P(s.Offset, 50):F2} ms, takes p50 {P(s.Duration, 50):F2} / p90 {P(s.Duration, 90):F2} ms ({s.Duration.Count}×) {s.Name}");
        if (gapsAfterLast.Count > 0)
            yield return Line($"[{label,-8}]   after the last statement until the request ends (COMMIT, JSON, response): p50 {P(gapsAfterLast, 50):F2} ms, p90 {P(gapsAfterLast, 90):F2}");
        if (outside.Count > 0)
            yield return Line($"[{label,-8}]   statements outside requests (hint publisher): {outside.Count}, p50 {P(outside, 50):F2} ms");
    }

    static string Line(string s) => s.ToString(CultureInfo.InvariantCulture);

    static string Describe(Activity a)
    {
        var text = a.GetTagItem("db.query.text") as string ?? a.GetTagItem("db.statement") as string ?? a.DisplayName;
        text = string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return text.Length > 90 ? text[..90] + "…" : text;
    }

    static string Histogram(List<double> xs)
    {
        if (xs.Count == 0) return "";
        int[] edges = [1, 2, 5, 10, 20, 40, 45, 80, 200];
        var counts = new int[edges.Length + 1];
        foreach (var x in xs)
        {
            var b = Array.FindIndex(edges, e => x < e);
            counts[b < 0 ? edges.Length : b]++;
        }
        return string.Join(", ", counts.Select((c, i) => (i < edges.Length ? $"<{edges[i]}" : $"≥{edges[^1]}") + $": {c}"));
    }

    static double Max(List<double> xs) => xs.Count == 0 ? 0 : xs.Max();

    static double P(List<double> xs, int p)
    {
        if (xs.Count == 0) return 0;
        var s = xs.Order().ToList();
        return s[Math.Clamp((int)Math.Ceiling(p / 100.0 * s.Count) - 1, 0, s.Count - 1)];
    }

    public void Dispose() => _listener.Dispose();
}
