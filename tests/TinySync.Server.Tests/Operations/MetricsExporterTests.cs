using System.Diagnostics.Metrics;
using TinySync.Server.Observability;

namespace TinySync.Server.Tests.Operations;

/// <summary>The exporter finds a series by its tag set (decision 0215): repeated tag sets add up in one series.</summary>
public sealed class MetricsExporterTests
{
    [Fact]
    public void Measurements_with_the_same_labels_add_up_in_one_series_and_new_tag_sets_make_new_series()
    {
        using var exporter = new PrometheusExporter();
        using var meter = new Meter(ServerMetrics.MeterName);
        var name = "tinysync.test_" + Guid.NewGuid().ToString("N");
        var counter = meter.CreateCounter<long>(name);
        var histogram = meter.CreateHistogram<double>(name + ".seconds");
        KeyValuePair<string, object?> Tag(string key, object? value) => new(key, value);

        counter.Add(1, Tag("route", "/a"), Tag("status", 200));
        counter.Add(2, Tag("route", "/a"), Tag("status", 200)); // the same tag set again
        counter.Add(4, Tag("route", "/b"), Tag("status", 200)); // a new one
        counter.Add(8, Tag("route", "/a"), Tag("status", "200")); // other value type, same labels: the same series
        counter.Add(16);
        for (var i = 0; i < 3; i++) histogram.Record(0.002, Tag("route", "/a"));
        histogram.Record(0.2, Tag("route", "/a"));

        var lines = exporter.Render().Split('\n');
        var metric = name.Replace('.', '_');
        lines.ShouldContain($"{metric}_total{{route=\"/a\",status=\"200\"}} 11");
        lines.ShouldContain($"{metric}_total{{route=\"/b\",status=\"200\"}} 4");
        lines.ShouldContain($"{metric}_total 16");
        lines.Count(l => l.StartsWith(metric + "_total", StringComparison.Ordinal)).ShouldBe(3);
        lines.ShouldContain($"{metric}_seconds_count{{route=\"/a\"}} 4");
        lines.ShouldContain($"{metric}_seconds_bucket{{route=\"/a\",le=\"0.0025\"}} 3");
        lines.ShouldContain($"{metric}_seconds_bucket{{route=\"/a\",le=\"+Inf\"}} 4");
    }
}
