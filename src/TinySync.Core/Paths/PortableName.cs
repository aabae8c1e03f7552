using System.Globalization;
using System.Text;

namespace TinySync.Core.Paths;

/// <summary>
/// Names every platform can hold and no one can spoof (docs/protocol.md, decision 0318): a path segment must not contain a
/// Unicode format character (category Cf: bidi overrides, zero-width characters, U+FEFF) or a line or paragraph
/// separator, start with a space, end with a dot or a space, contain one of <c>&lt;&gt;:"|?*</c>, or be a Windows
/// device name (<c>CON</c>, <c>PRN</c>, <c>AUX</c>, <c>NUL</c>, <c>COM1</c>–<c>COM9</c>, <c>LPT1</c>–<c>LPT9</c> and
/// the superscript forms <c>COM¹</c>–<c>COM³</c>, <c>LPT¹</c>–<c>LPT³</c>), with or without an extension. The one
/// exception: a zero-width joiner or non-joiner between two non-ASCII visible characters, as emoji sequences
/// (👩‍💻) and Persian or Indic words need. Server and client use this one check.
/// </summary>
public static class PortableName
{
    /// <summary>The characters Windows refuses in names.</summary>
    public const string WindowsForbidden = "<>:\"|?*";

    static readonly string[] DeviceNames =
    [
        "CON", "PRN", "AUX", "NUL",
        "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9", "COM\u00B9", "COM\u00B2", "COM\u00B3",
        "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9", "LPT\u00B9", "LPT\u00B2", "LPT\u00B3",
    ];

    /// <summary>
    /// Checks every segment of a path that <see cref="VaultPath.TryValidate"/> accepted. Returns null when every
    /// segment is portable, otherwise which rule the first offending segment breaks (for a problem's detail).
    /// </summary>
    public static string? Check(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var start = 0;
        while (start <= path.Length)
        {
            var end = path.IndexOf('/', start);
            if (end < 0) end = path.Length;
            if (CheckSegment(path.AsSpan(start, end - start)) is { } rule) return rule;
            start = end + 1;
        }
        return null;
    }

    /// <summary>True when every segment of <paramref name="path"/> is portable.</summary>
    public static bool IsPortable(string path) => Check(path) is null;

    /// <summary>Which rule one segment breaks, or null.</summary>
    public static string? CheckSegment(ReadOnlySpan<char> segment)
    {
        if (segment.IsEmpty) return null;
        // First, so that the details below never echo an invisible or bidi character.
        if (!Ascii.IsValid(segment) && InvisibleOrSeparator(segment) is { } invisible) return invisible;
        if (segment[0] == ' ') return $"the name '{Show(segment)}' starts with a space";
        if (segment[^1] == ' ') return $"the name '{Show(segment)}' ends with a space, which Windows drops";
        if (segment[^1] == '.') return $"the name '{Show(segment)}' ends with a dot, which Windows drops";
        var forbidden = segment.IndexOfAny(WindowsForbidden);
        if (forbidden >= 0) return $"the name '{Show(segment)}' contains '{segment[forbidden]}', which Windows does not allow in names (none of <>:\"|?*)";
        return DeviceName(segment) is { } device
            ? $"the name '{Show(segment)}' is the Windows device name {device} (reserved with any extension)"
            : null;
    }

    static string? InvisibleOrSeparator(ReadOnlySpan<char> segment)
    {
        var at = 0;
        Rune previous = default;
        while (at < segment.Length)
        {
            if (Rune.DecodeFromUtf16(segment[at..], out var rune, out var used) != System.Buffers.OperationStatus.Done) return null; // VaultPath refuses lone surrogates
            var category = Rune.GetUnicodeCategory(rune);
            if (category is UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator)
                return $"a name contains the line or paragraph separator U+{rune.Value:X4}";
            if (category == UnicodeCategory.Format && !IsJoinerInsideWord(rune, previous, segment[(at + used)..]))
                return $"a name contains the invisible format character U+{rune.Value:X4} (Unicode category Cf), which can disguise a name";
            previous = rune;
            at += used;
        }
        return null;
    }

    // ZWNJ (U+200C) and ZWJ (U+200D) shape emoji sequences and Persian or Indic words; between ASCII letters or at
    // the edge of a name they only hide something.
    static bool IsJoinerInsideWord(Rune joiner, Rune previous, ReadOnlySpan<char> rest)
    {
        if (joiner.Value is not (0x200C or 0x200D)) return false;
        if (previous.Value == 0 || !IsVisibleNonAscii(previous)) return false;
        return Rune.DecodeFromUtf16(rest, out var next, out _) == System.Buffers.OperationStatus.Done && IsVisibleNonAscii(next);
    }

    static bool IsVisibleNonAscii(Rune r) => !r.IsAscii && Rune.GetUnicodeCategory(r) is not (UnicodeCategory.Format or UnicodeCategory.SpaceSeparator
        or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Control);

    // Windows reads the part before the first dot (trailing spaces dropped) as the device: "aux.txt", "Com1 .log".
    static string? DeviceName(ReadOnlySpan<char> segment)
    {
        var dot = segment.IndexOf('.');
        var stem = (dot < 0 ? segment : segment[..dot]).TrimEnd(' ');
        if (stem.Length is not (3 or 4)) return null;
        foreach (var name in DeviceNames)
        {
            if (stem.Equals(name, StringComparison.OrdinalIgnoreCase)) return name;
        }
        return null;
    }

    static string Show(ReadOnlySpan<char> segment) => segment.Length <= 80 ? segment.ToString() : string.Concat(segment[..80], "…");
}
