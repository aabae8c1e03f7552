using System.Globalization;
using System.Text;

namespace TinySync.Core.Text;

/// <summary>
/// Text that came from elsewhere (file names on disk, paths and device names from the server) made safe to print on
/// one line: control characters (ESC, CR, LF, BEL, C1) and bidirectional overrides become visible escapes such as
/// <c>\x1b</c> or <c>\u202e</c>, so a name cannot move the cursor, recolour or rewrite a terminal, split one log line
/// into two, or display reversed. The one escaper for the client, the CLI and the logs.
/// </summary>
public static class Printable
{
    /// <summary><paramref name="text"/> with every control or bidi-formatting character written as an escape.</summary>
    public static string Of(string text)
    {
        var i = 0;
        while (i < text.Length && !NeedsEscape(text[i])) i++;
        if (i == text.Length) return text;
        var sb = new StringBuilder(text.Length + 8).Append(text, 0, i);
        for (; i < text.Length; i++)
        {
            var c = text[i];
            if (!NeedsEscape(c)) sb.Append(c);
            else if (c <= 0xff) sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
            else sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    static bool NeedsEscape(char c) =>
        char.IsControl(c) || c is >= '\u202a' and <= '\u202e' or >= '\u2066' and <= '\u2069' or '\u200e' or '\u200f';
}
