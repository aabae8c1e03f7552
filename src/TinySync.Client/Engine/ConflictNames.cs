using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using TinySync.Core.Paths;

namespace TinySync.Client.Engine;

/// <summary>
/// Names of conflict copies (docs/client.md#conflict-names): <c>NAME (conflict from DEVICE YYYY-MM-DD HHMMSS).EXT</c>, DEVICE being this
/// device's display name and the time UTC. The extension is the last one (<c>a.tar.gz</c> → <c>a.tar (…).gz</c>);
/// a dot-file without another dot has none. A name already taken gets " 2", " 3", … before the closing parenthesis.
/// </summary>
public static partial class ConflictNames
{
    /// <summary>The conflict copy's path for <paramref name="path"/>.</summary>
    public static string For(string path, string deviceName, DateTimeOffset when, Func<string, bool>? taken = null)
    {
        var parent = VaultPath.Parent(path);
        var name = VaultPath.Name(path);
        var dot = name.LastIndexOf('.');
        var (stem, ext) = dot > 0 ? (name[..dot], name[dot..]) : (name, "");
        var device = Sanitize(deviceName);
        var stamp = when.UtcDateTime.ToString("yyyy-MM-dd HHmmss", CultureInfo.InvariantCulture);
        for (var n = 1; ; n++)
        {
            var suffix = n == 1 ? "" : " " + n.ToString(CultureInfo.InvariantCulture);
            var candidate = $"{stem} (conflict from {device} {stamp}{suffix}){ext}";
            // keep the segment within the server's 255-byte limit by trimming the stem
            while (Encoding.UTF8.GetByteCount(candidate) > VaultPath.MaxSegmentBytes && stem.Length > 1)
            {
                stem = stem[..^1];
                candidate = $"{stem} (conflict from {device} {stamp}{suffix}){ext}";
            }
            var full = VaultPath.Combine(parent, candidate);
            if (taken is null || !taken(full)) return full;
        }
    }

    /// <summary>True when a name looks like a conflict copy.</summary>
    public static bool IsConflictCopy(string path) => Pattern().IsMatch(VaultPath.Name(path));

    static string Sanitize(string deviceName)
    {
        var sb = new StringBuilder(deviceName.Length);
        foreach (var c in deviceName.Normalize(NormalizationForm.FormC))
        {
            // The copy's name must be one the server accepts (PortableName): no <>:"|?*, nothing invisible.
            var unfit = c is '/' or '\\' || char.IsControl(c) || PortableName.WindowsForbidden.Contains(c)
                || char.GetUnicodeCategory(c) is UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;
            sb.Append(unfit ? '_' : c);
        }
        var s = sb.ToString().Trim();
        if (s.Length > 64) s = s[..64];
        return s.Length == 0 ? "device" : s;
    }

    [GeneratedRegex(@"\(conflict from .+ \d{4}-\d{2}-\d{2} \d{6}( \d+)?\)", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
