using System.CommandLine;
using System.CommandLine.Invocation;

namespace TinySync.Cli;

/// <summary>System.CommandLine's typo corrections ("did you mean"), without its help dump.</summary>
internal static class Typos
{
    /// <summary>Commands or options close to an unmatched token: <c>tinysync synk</c> gives <c>sync</c>.</summary>
    public static IReadOnlyList<string> Suggest(ParseResult parse)
    {
        if (parse.Action is not ParseErrorAction action) return [];
        action.ShowHelp = false;
        action.ShowTypoCorrections = true;
        using var output = new StringWriter();
        using var error = new StringWriter();
        parse.Invoke(new InvocationConfiguration { Output = output, Error = error });
        return [.. (output + "\n" + error).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => !l.Contains(' ', StringComparison.Ordinal) && !l.StartsWith('\u001b') && l.Length > 0)];
    }
}
