using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using TinySync.Client.State;
using TinySync.Core.Paths;

namespace TinySync.Client.Engine;

/// <summary>How a <see cref="Selection"/> reads its paths.</summary>
public enum SelectionMode
{
    /// <summary>Everything in the vault (no selection).</summary>
    All,

    /// <summary>Only the listed folders or files (and the folders that lead to them).</summary>
    Only,

    /// <summary>Everything except the listed folders or files.</summary>
    Exclude,
}

/// <summary>
/// Which part of a vault this device materializes (selective sync, decision 0453): everything, only some folders or
/// files, or everything except some. Paths compare like vault paths do, by key (case-insensitively), so a selection
/// never splits two names the server treats as one. An item is <see cref="Includes">included</see> when it lies in a
/// selected path, or, for <see cref="SelectionMode.Only"/>, when it is a folder that leads to one (the folder itself,
/// not its other contents). Kept in the link's state as <c>selection.json</c>; no file means everything.
/// </summary>
public sealed class Selection
{
    /// <summary>The file in the link's state directory.</summary>
    public const string FileName = "selection.json";

    readonly string[] _keys;

    Selection(SelectionMode mode, string[] paths)
    {
        Mode = mode;
        Paths = paths;
        _keys = [.. paths.Select(VaultPath.Key)];
    }

    /// <summary>Everything.</summary>
    public static Selection All { get; } = new(SelectionMode.All, []);

    /// <summary>The mode.</summary>
    public SelectionMode Mode { get; }

    /// <summary>The selected (or excluded) paths, sorted, none under another.</summary>
    public IReadOnlyList<string> Paths { get; }

    /// <summary>True when nothing is left out.</summary>
    public bool IsAll => Mode == SelectionMode.All;

    /// <summary>
    /// A selection of vault paths. Each is validated like every vault path (a trailing <c>/</c> is dropped); a path
    /// under another listed one is redundant and dropped. Throws <see cref="ClientException"/> (<c>invalid_selection</c>)
    /// naming the first bad path.
    /// </summary>
    public static Selection Create(SelectionMode mode, IEnumerable<string> paths)
    {
        if (mode == SelectionMode.All) return All;
        var clean = new List<string>();
        foreach (var raw in paths)
        {
            var p = raw.Trim();
            while (p.Length > 1 && p.EndsWith('/')) p = p[..^1];
            if (p.StartsWith("./", StringComparison.Ordinal)) p = p[2..];
            if (!p.IsNormalized(NormalizationForm.FormC)) p = p.Normalize(NormalizationForm.FormC);
            if (!VaultPath.TryValidate(p, out var error))
            {
                throw new ClientException("invalid_selection", $"'{ContainedShown(raw)}' is not a vault path ({error}); give folders or files relative to the linked folder, e.g. docs/reports");
            }
            clean.Add(p);
        }
        if (clean.Count == 0) throw new ClientException("invalid_selection", "no path given; name at least one folder or file relative to the linked folder");
        // shortest first, else as given: a path under (or equal by key to) one already kept is redundant
        var kept = new List<string>();
        foreach (var p in clean.OrderBy(p => p.Length)) if (!kept.Any(o => VaultPath.IsSameOrUnder(p, o))) kept.Add(p);
        kept.Sort(StringComparer.Ordinal);
        return new Selection(mode, [.. kept]);
    }

    /// <summary>Whether this device materializes the item at <paramref name="path"/>.</summary>
    public bool Includes(string path)
    {
        if (Mode == SelectionMode.All) return true;
        var k = VaultPath.Key(path);
        foreach (var s in _keys)
        {
            if (IsSameOrUnderKey(k, s)) return Mode == SelectionMode.Only;
            if (Mode == SelectionMode.Only && IsSameOrUnderKey(s, k)) return true; // a folder leading to a selected path
        }
        return Mode == SelectionMode.Exclude;
    }

    /// <summary>
    /// Whether <paramref name="path"/> is included only as a folder leading to a selected path: its other contents are
    /// not. A folder move or delete there would take along what this device does not hold.
    /// </summary>
    public bool IsOnlyAWayIn(string path)
    {
        if (Mode != SelectionMode.Only) return false;
        var k = VaultPath.Key(path);
        return !_keys.Any(s => IsSameOrUnderKey(k, s)) && _keys.Any(s => IsSameOrUnderKey(s, k));
    }

    static bool IsSameOrUnderKey(string k, string a) =>
        k.Length == a.Length ? string.Equals(k, a, StringComparison.Ordinal)
            : k.Length > a.Length && k[a.Length] == '/' && k.StartsWith(a, StringComparison.Ordinal);

    /// <summary>One line for people: <c>everything</c>, <c>only a, b</c>, <c>everything except a</c>.</summary>
    public override string ToString() => Mode switch
    {
        SelectionMode.Only => "only " + string.Join(", ", Paths.Select(ContainedShown)),
        SelectionMode.Exclude => "everything except " + string.Join(", ", Paths.Select(ContainedShown)),
        _ => "everything",
    };

    static string ContainedShown(string p) => FileSystem.ContainedFolder.Printable(p);

    /// <summary>The selection saved in a link's state directory (everything when none is).</summary>
    public static Selection Load(string linkStateDirectory)
    {
        var path = System.IO.Path.Combine(linkStateDirectory, FileName);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return All;
        }
        try
        {
            var saved = JsonSerializer.Deserialize(text, SelectionJson.Default.Saved);
            if (saved is null || !Enum.TryParse<SelectionMode>(saved.Mode, ignoreCase: true, out var mode)) throw new JsonException("no mode");
            return Create(mode, saved.Paths ?? []);
        }
        catch (Exception e) when (e is JsonException or ClientException)
        {
            // never read a damaged selection as "everything" (that would download what the user left out)
            throw new ClientException("invalid_selection", $"the selection file {path} is unreadable ({e.Message}); set it again with `tinysync select DIR --only …` or reset it with `tinysync select DIR --all`", e);
        }
    }

    /// <summary>Saves this selection atomically in a link's state directory (everything: the file is removed).</summary>
    public void Save(string linkStateDirectory)
    {
        var path = System.IO.Path.Combine(linkStateDirectory, FileName);
        if (IsAll)
        {
            File.Delete(path);
            return;
        }
        Directory.CreateDirectory(linkStateDirectory);
        var saved = new Saved(Mode.ToString().ToLowerInvariant(), [.. Paths]);
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(saved, SelectionJson.Default.Saved) + "\n", UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    internal sealed record Saved(string Mode, string[]? Paths);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(Selection.Saved))]
internal sealed partial class SelectionJson : JsonSerializerContext;
