using System.Globalization;
using System.Text.RegularExpressions;

namespace TinySync.Server.Tests.Support;

/// <summary>Reads the Prometheus text exposition the server writes at /metrics.</summary>
public static partial class PrometheusText
{
    /// <summary>The text without OpenTelemetry's <c>otel_scope_name</c> label, so a line reads <c>name{labels} value</c>.</summary>
    public static string WithoutScope(string text) =>
        EmptyLabels().Replace(ScopeLabel().Replace(text, ""), "");

    /// <summary>The value of the series <paramref name="name"/> whose labels include <paramref name="labels"/>; null when absent.</summary>
    public static double? Value(string text, string name, params (string Key, string Value)[] labels)
    {
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith('#') || !line.StartsWith(name, StringComparison.Ordinal)) continue;
            var rest = line[name.Length..];
            if (rest.Length == 0 || (rest[0] != '{' && rest[0] != ' ')) continue;
            if (!labels.All(l => rest.Contains($"{l.Key}=\"{l.Value}\"", StringComparison.Ordinal))) continue;
            var parts = line.Split(' ');
            return double.Parse(parts[^1] == "" ? parts[^2] : parts[^1], CultureInfo.InvariantCulture);
        }
        return null;
    }

    [GeneratedRegex("otel_scope_name=\"[^\"]*\",?")]
    private static partial Regex ScopeLabel();

    [GeneratedRegex(@"\{\}")]
    private static partial Regex EmptyLabels();
}
