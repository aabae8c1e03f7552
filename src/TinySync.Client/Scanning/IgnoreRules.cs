using MAB.DotIgnore;
using TinySync.Client.FileSystem;

namespace TinySync.Client.Scanning;

/// <summary>
/// What the scanner skips: the engine's own temporary files (always), plus the rules of <c>.tinysyncignore</c> at the
/// link root (gitignore syntax). The ignore file itself syncs like any file, so every device shares the rules.
/// </summary>
public sealed class IgnoreRules
{
    /// <summary>Name of the per-link ignore file.</summary>
    public const string FileName = ".tinysyncignore";

    /// <summary>Prefix of the engine's temporary download files.</summary>
    public const string TempPrefix = ".tinysync-tmp-";

    readonly IgnoreList? _list;

    IgnoreRules(IgnoreList? list) => _list = list;

    /// <summary>No user rules.</summary>
    public static IgnoreRules None { get; } = new(null);

    /// <summary>
    /// Reads <c>.tinysyncignore</c> at the link root, if present. A symbolic link there is not followed, and neither
    /// it nor an unreadable file counts as "no rules" (that would upload what the rules keep out): the scan stops
    /// with an <see cref="IOException"/> that says so.
    /// </summary>
    public static IgnoreRules Load(ContainedFolder folder)
    {
        var kind = folder.Stat(FileName).Kind;
        if (kind == EntryKind.Missing) return None;
        if (kind != EntryKind.File)
        {
            throw new IOException($"{folder.Display(FileName)} is a {(kind == EntryKind.Symlink ? "symbolic link" : kind.ToString().ToLowerInvariant())}; the client reads its rules only from a regular file (not followed); replace it with a copy");
        }
        string text;
        using (var reader = new StreamReader(folder.OpenRead(FileName))) text = reader.ReadToEnd();
        var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => !string.IsNullOrWhiteSpace(l) && !l.TrimStart().StartsWith('#')).ToList();
        return lines.Count == 0 ? None : new IgnoreRules(new IgnoreList(lines));
    }

    /// <summary>From rule lines (tests).</summary>
    public static IgnoreRules FromLines(IEnumerable<string> lines) => new(new IgnoreList(lines));

    /// <summary>True when the built-in rules skip a name (regardless of .tinysyncignore).</summary>
    public static bool IsBuiltIn(string name) => name.StartsWith(TempPrefix, StringComparison.Ordinal);

    /// <summary>True when the relative path (with '/') is ignored.</summary>
    public bool IsIgnored(string relativePath, bool isDirectory)
    {
        var name = relativePath[(relativePath.LastIndexOf('/') + 1)..];
        if (IsBuiltIn(name)) return true;
        return _list is not null && _list.IsIgnored(relativePath, isDirectory);
    }
}
