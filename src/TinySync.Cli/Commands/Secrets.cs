using System.CommandLine;
using TinySync.Client.State;

namespace TinySync.Cli;

/// <summary>
/// Tokens from a file or stdin (<c>--token-file FILE</c>, <c>-</c> for stdin), so they stay out of the process list and
/// the shell history (decision 0433).
/// </summary>
internal static class Secrets
{
    /// <summary><c>--NAME-file FILE</c>.</summary>
    public static Option<string?> FileOption(string name, string what, bool recursive = false) =>
        new(name) { Description = $"Read the {what} from FILE (first line; `-` reads stdin) instead of the command line, where `ps` shows it", Recursive = recursive };

    /// <summary>
    /// The secret from <paramref name="value"/>, else the file or stdin named by <paramref name="file"/>, else
    /// <paramref name="fallback"/>; both options at once is an error. Null when none was given.
    /// </summary>
    public static string? Read(ParseResult p, Option<string?> value, Option<string?> file, string what, string? fallback = null)
    {
        var direct = p.GetValue(value);
        var path = p.GetValue(file);
        if (direct is not null && path is not null)
            throw new ClientException("usage", $"give the {what} once: either {value.Name} or {file.Name}, not both");
        if (path is null) return string.IsNullOrWhiteSpace(direct) ? fallback : direct.Trim();
        string text;
        try
        {
            text = path == "-" ? Console.In.ReadToEnd() : File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ClientException("token_file", $"cannot read the {what} from {path} ({e.Message.TrimEnd('.')}); check the path and its permissions");
        }
        var line = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        return string.IsNullOrEmpty(line)
            ? throw new ClientException("token_file", $"{(path == "-" ? "stdin" : path)} holds no {what}; put the {what} on its first line")
            : line;
    }
}
