using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace TinySync.Server.Observability;

/// <summary>
/// Collects <see cref="System.Diagnostics.Metrics"/> instruments of TinySync, ASP.NET Core and the runtime, and
/// renders them in the Prometheus text exposition format (0.0.4). Counters become <c>_total</c>, histograms get
/// cumulative buckets, observable instruments are sampled at scrape time.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    static readonly string[] Meters = [ServerMetrics.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Runtime"];
    static readonly double[] Buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    readonly MeterListener _listener = new();
    readonly ConcurrentDictionary<(Instrument Instrument, string Labels), Series> _series = new();
    readonly Lock _scrape = new();

    sealed class Series
    {
        public double Sum;
        public long Count;
        public double Last;
        public readonly long[] Buckets = new long[PrometheusExporter.Buckets.Length + 1];
    }

    /// <summary>Starts listening.</summary>
    public PrometheusExporter()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (Array.IndexOf(Meters, instrument.Meter.Name) >= 0) listener.EnableMeasurementEvents(instrument, new SeenTags());
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, state) => Record(i, v, tags, state));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, state) => Record(i, v, tags, state));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, state) => Record(i, v, tags, state));
        _listener.Start();
    }

    /// <summary>
    /// The tag sets already seen for one instrument, each with its series: a measurement with a known tag set (nearly
    /// all of them: every request records three) finds its series without formatting its labels. Copy-on-write, so
    /// lookups take no lock.
    /// </summary>
    sealed class SeenTags
    {
        public const int Capacity = 1024;
        public volatile (KeyValuePair<string, object?>[] Tags, Series Series)[] Entries = [];
    }

    void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        var series = state is SeenTags seen ? Find(seen, instrument, tags) : SeriesOf(instrument, tags);
        lock (series)
        {
            switch (instrument)
            {
                case Histogram<double> or Histogram<long> or Histogram<int>:
                    series.Sum += value;
                    series.Count++;
                    var b = Array.BinarySearch(Buckets, value);
                    series.Buckets[b >= 0 ? b : ~b]++;
                    break;
                case ObservableGauge<long> or ObservableGauge<double> or ObservableGauge<int> or Gauge<long> or Gauge<double>
                    or ObservableCounter<long> or ObservableCounter<double> or ObservableUpDownCounter<long> or ObservableUpDownCounter<double>:
                    series.Last = value;
                    break;
                default:
                    series.Sum += value;
                    break;
            }
        }
    }

    Series SeriesOf(Instrument instrument, ReadOnlySpan<KeyValuePair<string, object?>> tags) =>
        _series.GetOrAdd((instrument, Labels(tags)), static _ => new Series());

    Series Find(SeenTags seen, Instrument instrument, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var (known, series) in seen.Entries)
            if (SameTags(known, tags)) return series;
        var found = SeriesOf(instrument, tags); // two tag sets with the same labels share one series, as before
        lock (seen)
        {
            if (seen.Entries.Length < SeenTags.Capacity) seen.Entries = [.. seen.Entries, (tags.ToArray(), found)];
        }
        return found;
    }

    static bool SameTags(KeyValuePair<string, object?>[] known, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (known.Length != tags.Length) return false;
        for (var i = 0; i < tags.Length; i++)
        {
            if (!string.Equals(known[i].Key, tags[i].Key, StringComparison.Ordinal) || !Equals(known[i].Value, tags[i].Value)) return false;
        }
        return true;
    }

    static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length == 0) return "";
        var sb = new StringBuilder();
        foreach (var (k, v) in tags)
        {
            if (sb.Length > 0) sb.Append(',');
            sb.Append(Name(k)).Append("=\"").Append(Escape(Convert.ToString(v, CultureInfo.InvariantCulture) ?? "")).Append('"');
        }
        return sb.ToString();
    }

    /// <summary>Renders all series.</summary>
    public string Render()
    {
        lock (_scrape) _listener.RecordObservableInstruments();
        var sb = new StringBuilder();
        foreach (var group in _series.GroupBy(s => s.Key.Instrument).OrderBy(g => g.Key.Meter.Name, StringComparer.Ordinal).ThenBy(g => g.Key.Name, StringComparer.Ordinal))
        {
            var instrument = group.Key;
            var name = Name(instrument.Name) + UnitSuffix(instrument.Unit);
            var (type, suffix) = instrument switch
            {
                Histogram<double> or Histogram<long> or Histogram<int> => ("histogram", ""),
                Counter<long> or Counter<double> or Counter<int> or ObservableCounter<long> or ObservableCounter<double> => ("counter", "_total"),
                _ => ("gauge", ""),
            };
            if (instrument.Description is { Length: > 0 } d) sb.Append("# HELP ").Append(name).Append(suffix).Append(' ').Append(d.ReplaceLineEndings(" ")).Append('\n');
            sb.Append("# TYPE ").Append(name).Append(suffix).Append(' ').Append(type).Append('\n');
            foreach (var (key, s) in group)
            {
                lock (s)
                {
                    if (type == "histogram")
                    {
                        long cumulative = 0;
                        for (var i = 0; i < Buckets.Length; i++)
                        {
                            cumulative += s.Buckets[i];
                            Line(sb, name + "_bucket", Join(key.Labels, $"le=\"{Buckets[i].ToString(CultureInfo.InvariantCulture)}\""), cumulative);
                        }
                        cumulative += s.Buckets[^1];
                        Line(sb, name + "_bucket", Join(key.Labels, "le=\"+Inf\""), cumulative);
                        Line(sb, name + "_sum", key.Labels, s.Sum);
                        Line(sb, name + "_count", key.Labels, s.Count);
                    }
                    else
                    {
                        var observable = instrument.GetType().Name.StartsWith("Observable", StringComparison.Ordinal) || instrument.GetType().Name.StartsWith("Gauge", StringComparison.Ordinal);
                        Line(sb, name + suffix, key.Labels, observable ? s.Last : s.Sum);
                    }
                }
            }
        }
        var p = Process.GetCurrentProcess();
        sb.Append("# TYPE process_resident_memory_bytes gauge\n");
        Line(sb, "process_resident_memory_bytes", "", p.WorkingSet64);
        sb.Append("# TYPE process_managed_heap_bytes gauge\n");
        Line(sb, "process_managed_heap_bytes", "", GC.GetTotalMemory(false));
        return sb.ToString();
    }

    static string Join(string a, string b) => a.Length == 0 ? b : a + "," + b;

    static void Line(StringBuilder sb, string name, string labels, double value)
    {
        sb.Append(name);
        if (labels.Length > 0) sb.Append('{').Append(labels).Append('}');
        sb.Append(' ').Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
    }

    static string UnitSuffix(string? unit) => unit switch
    {
        "s" => "_seconds",
        "By" => "_bytes",
        _ => "",
    };

    static string Name(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var c in s) sb.Append(char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_');
        return sb.ToString();
    }

    static string Escape(string s) => s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    /// <inheritdoc />
    public void Dispose() => _listener.Dispose();
}
