using System.Text.RegularExpressions;
using TinySync.Client.Engine;
using TinySync.Core.Contracts;
using TinySync.Core.Paths;

namespace TinySync.Reliability.Tests.Harness;

/// <summary>
/// Selective sync in the scenarios (decision 0453): in a third of the seeds device C holds only part of the vault,
/// drawn from its own random stream (the other draws of a seed stay as they were). Its invariants: C commits nothing
/// outside its selection (no put, delete or move there: nothing it does not hold is deleted because of it); every item
/// outside the selection in C's folder lies where C's user put something (none came from the server); convergence
/// and "no data loss" count what C keeps outside its selection as C's own (it never leaves the device). A conflict copy
/// holds C's own version: one of a path C's user touched counts as put there by the user, wherever it lies.
/// </summary>
public sealed partial class SelectionWatch
{
    static readonly Selection[] Choices =
    [
        Selection.Create(SelectionMode.Exclude, ["d1"]),
        Selection.Create(SelectionMode.Exclude, ["docs"]),
        Selection.Create(SelectionMode.Exclude, ["x/d1"]),
        Selection.Create(SelectionMode.Only, ["d2"]),
        Selection.Create(SelectionMode.Only, ["docs", "x"]),
        Selection.Create(SelectionMode.Only, ["x/d2"]),
    ];

    readonly HashSet<string> _userPutOutside = new(StringComparer.Ordinal);
    readonly HashSet<string> _userTouched = new(StringComparer.OrdinalIgnoreCase);

    SelectionWatch(SimDevice device, Selection selection)
    {
        Device = device;
        Selection = selection;
    }

    public SimDevice Device { get; }
    public Selection Selection { get; }

    /// <summary>The watch for a seed, or null when its devices hold everything; saves C's selection before any sync.</summary>
    public static SelectionWatch? For(int seed, ScenarioOptions options, IReadOnlyList<SimDevice> devices)
    {
        if (!options.Selections) return null;
        var rng = new Random(unchecked(seed * 17 + 3));
        if (rng.Next(3) != 0) return null;
        var watch = new SelectionWatch(devices[2], Choices[rng.Next(Choices.Length)]);
        watch.Selection.Save(watch.Device.State.LinkStateDirectory(watch.Device.Link));
        return watch;
    }

    /// <summary>Whether <paramref name="d"/> is the device and <paramref name="path"/> lies outside its selection.</summary>
    public bool Outside(SimDevice d, string path) => ReferenceEquals(d, Device) && !Selection.Includes(path);

    /// <summary>Notes what a user operation on <paramref name="d"/> changed outside the selection.</summary>
    public void UserTouched(SimDevice d, IEnumerable<string> paths)
    {
        if (!ReferenceEquals(d, Device)) return;
        foreach (var p in paths)
        {
            _userTouched.Add(p);
            if (!Selection.Includes(p)) _userPutOutside.Add(p);
        }
    }

    /// <summary>A log row of the device outside its selection, or null.</summary>
    public string? RowViolation(LogEntry e)
    {
        if (e.DeviceId != Device.Identity.DeviceId) return null;
        if (Selection.Includes(e.Path) && (e.NewPath is null || Selection.Includes(e.NewPath))) return null;
        return $"selection: {Device.Name} ({Selection}) committed {e.Kind} {e.Path}{(e.NewPath is null ? "" : " -> " + e.NewPath)} (seq {e.Seq}) outside its selection";
    }

    /// <summary>
    /// Items in the device's folder outside its selection where its user never put anything (they came from the
    /// server), and the contents kept there.
    /// </summary>
    public (List<string> Violations, HashSet<string> Kept) CheckFolder()
    {
        var violations = new List<string>();
        var kept = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (e, isDir) in UserOps.Walk(Device.Folder))
        {
            var rel = Path.GetRelativePath(Device.Folder, e).Replace('\\', '/');
            if (Selection.Includes(rel)) continue;
            if (!isDir) kept.Add(Ledger.Hash(File.ReadAllBytes(e)));
            if (!_userPutOutside.Any(u => IsSameOrUnder(rel, u) || (isDir && IsSameOrUnder(u, rel))) && !InConflictCopyOfTouched(rel))
            {
                violations.Add($"selection: {Device.Name} ({Selection}) holds {rel} outside its selection, where its user put nothing");
            }
        }
        return (violations, kept);
    }

    // A path at or under a conflict copy of something the user touched (case-insensitively, as names clash).
    bool InConflictCopyOfTouched(string rel)
    {
        for (string? p = rel; p is not null; p = VaultPath.Parent(p))
        {
            var m = ConflictCopy().Match(VaultPath.Name(p));
            if (m.Success && _userTouched.Contains(VaultPath.Combine(VaultPath.Parent(p), m.Groups["stem"].Value + m.Groups["ext"].Value))) return true;
        }
        return false;
    }

    [GeneratedRegex(@"^(?<stem>.+) \(conflict from .+\)(?<ext>\.[^.]*)?$")]
    private static partial Regex ConflictCopy();

    static bool IsSameOrUnder(string path, string ancestor) => VaultPath.IsSameOrUnder(path, ancestor);
}
