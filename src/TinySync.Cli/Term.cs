using System.Globalization;
using System.Text;

namespace TinySync.Cli;

/// <summary>
/// All text the CLI prints goes through here: control characters (ESC, CR, BEL, C1) and bidirectional overrides in
/// names become visible escapes such as <c>\x1b</c>, so a file name cannot move the cursor, recolour or rewrite the
/// terminal, or split one line into two.
/// </summary>
internal static class Term
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>A line on stdout (escaped).</summary>
    public static void Out(string line) => Console.Out.WriteLine(Escape(line));

    /// <summary>A line on stderr (escaped).</summary>
    public static void Err(string line) => Console.Error.WriteLine(Escape(line));

    /// <summary>The text with every control or bidi-formatting character written as an escape.</summary>
    public static string Escape(string text) => TinySync.Core.Text.Printable.Of(text);

    /// <summary>A byte count for people: 980 B, 12.4 KB, 3.1 MB, 1.2 GB (powers of 1000, like the example in the docs).</summary>
    public static string Bytes(long n) => n switch
    {
        < 1000 => n.ToString(Inv) + " B",
        < 1_000_000 => (n / 1e3).ToString("0.0", Inv) + " KB",
        < 1_000_000_000 => (n / 1e6).ToString("0.0", Inv) + " MB",
        _ => (n / 1e9).ToString("0.00", Inv) + " GB",
    };

    /// <summary>A duration as "4s", "2m05s", "1h02m".</summary>
    public static string Duration(TimeSpan t) => t.TotalSeconds < 60 ? $"{Math.Max(0, (int)Math.Ceiling(t.TotalSeconds))}s"
        : t.TotalHours < 1 ? $"{(int)t.TotalMinutes}m{t.Seconds:00}s" : $"{(int)t.TotalHours}h{t.Minutes:00}m";
}
