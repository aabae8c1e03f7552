using TinySync.Client.FileSystem;
using TinySync.Core.Contracts;

namespace TinySync.Reliability.Tests.Harness;

/// <summary>
/// One symbolic link a user made in a device's folder (issue 13): where it is (relative to the folder), what it points
/// at, its inode (a link moved along with its folder by the engine is found again by it), whether the user moved what
/// was there out and will move it back (<see cref="MoveBack"/>), and a snapshot of the outside target.
/// </summary>
public sealed class LinkRecord(string path, string target, string kind, bool moveBack)
{
    public string Path { get; set; } = path;
    public string Target { get; } = target;
    public string Kind { get; } = kind;
    public bool MoveBack { get; } = moveBack;
    public ulong Inode { get; set; }

    /// <summary>The outside target's entries (kind, bytes, mtime), null for a loop (it points back into the folder).</summary>
    public Dictionary<string, string>? Outside { get; set; }
}

/// <summary>
/// The symbolic links of one device and their invariants. While a link exists, the subtree it replaced is unknown on
/// that device: the engine writes nothing through it (the outside target keeps every entry, byte and mtime, temp-named
/// files included), uploads nothing at or under its path (no delete of what was there, no file read through it), and
/// never removes or replaces the link itself. Other devices' files inside survive (the ledger checks that once the
/// user has moved the folder back). Before the quiet phase every link is undone, so convergence is checked as usual.
/// </summary>
public sealed class DeviceLinks(string folder, string outside)
{
    readonly List<LinkRecord> _links = [];
    int _made;

    public IReadOnlyList<LinkRecord> All => _links;

    /// <summary>Links made, by kind (<c>symlink_dir-moved-out</c>, …), counted with the scenario's faults.</summary>
    public FaultCounts Made { get; } = new();

    /// <summary>A fresh path outside the folder (under the device's own outside directory).</summary>
    public string NewOutside(string hint)
    {
        Directory.CreateDirectory(outside);
        return System.IO.Path.Combine(outside, $"{++_made}-{hint}");
    }

    /// <summary>True when a link lies at or under <paramref name="dir"/>: the user leaves such folders' structure alone.</summary>
    public bool HoldsLink(string dir) => _links.Any(l => SameOrUnder(l.Path, dir));

    public void Add(LinkRecord link)
    {
        var abs = Abs(link.Path);
        link.Inode = RealFileSystem.Instance.Stat(abs).Inode;
        link.Outside = link.Kind == "loop" ? null : Snapshot(link.Target);
        _links.Add(link);
        Made.Add("symlink_" + link.Kind);
    }

    public void Remove(LinkRecord link) => _links.Remove(link);

    /// <summary>The links that exist as a cycle starts: the ones the cycle is checked against.</summary>
    public List<LinkRecord> CycleStarts() => [.. _links];

    /// <summary>
    /// After a cycle: every link still exists (at its path, or moved along with a folder the engine renamed), and its
    /// outside target is exactly as the user left it. Returns the violations.
    /// </summary>
    public List<string> Check(string device)
    {
        var violations = new List<string>();
        var found = _links.Count == 0 ? [] : FindLinks();
        foreach (var l in _links)
        {
            if (!found.TryGetValue(l.Inode, out var now))
            {
                violations.Add($"symlink: {device}'s link {l.Path} -> {l.Target} was removed or replaced by the engine");
            }
            else if (!string.Equals(now, l.Path, StringComparison.Ordinal))
            {
                l.Path = now; // moved along with a folder the engine moved aside: still the user's link
            }
            if (l.Outside is { } before && Diff(before, Snapshot(l.Target)) is { } diff)
            {
                violations.Add($"symlink: {device}'s link {l.Path}: the outside target {l.Target} was written through it: {diff}");
            }
        }
        return violations;
    }

    /// <summary>
    /// Log rows of this device that touch the path of a link which existed for the whole cycle (so nothing planned before
    /// it appeared): the engine read or deleted through the link.
    /// </summary>
    public static IEnumerable<string> RowsUnderLinks(IEnumerable<LogEntry> rows, Guid device, IReadOnlyList<LinkRecord> watched)
    {
        foreach (var e in rows.Where(e => e.DeviceId == device))
        {
            foreach (var l in watched)
            {
                if (SameOrUnder(e.Path, l.Path) || (e.NewPath is { } np && SameOrUnder(np, l.Path)))
                {
                    yield return $"{e.Kind} {e.Path}{(e.NewPath is null ? "" : " -> " + e.NewPath)} (seq {e.Seq}) while {l.Path} was a symbolic link";
                }
            }
        }
    }

    /// <summary>The user undoes a link: removes it and, when what was there was moved out, moves it back.</summary>
    public string Undo(LinkRecord link)
    {
        var abs = Abs(link.Path);
        File.Delete(abs); // unlinks the link itself, never its target
        _links.Remove(link);
        if (!link.MoveBack) return $"rm {link.Path} (a symbolic link to {Shown(link.Target)})";
        if (Directory.Exists(link.Target)) Directory.Move(link.Target, abs);
        else File.Move(link.Target, abs);
        return $"rm {link.Path} (a symbolic link); mv {Shown(link.Target)} {link.Path} (moved back)";
    }

    public string Shown(string target) => target.StartsWith(outside, StringComparison.Ordinal) ? "outside/" + System.IO.Path.GetFileName(target) : target;

    string Abs(string rel) => System.IO.Path.Combine(folder, rel);

    /// <summary>Every symbolic link in the folder by inode, found without following any.</summary>
    Dictionary<ulong, string> FindLinks()
    {
        var found = new Dictionary<ulong, string>();
        void Walk(string dir)
        {
            foreach (var e in new DirectoryInfo(dir).EnumerateFileSystemInfos())
            {
                if (e.LinkTarget is not null) found[RealFileSystem.Instance.Stat(e.FullName).Inode] = System.IO.Path.GetRelativePath(folder, e.FullName).Replace('\\', '/');
                else if (e is DirectoryInfo) Walk(e.FullName);
            }
        }
        Walk(folder);
        return found;
    }

    /// <summary>Every entry under an outside target (or the target file itself, as ""): kind, bytes and mtime.</summary>
    public static Dictionary<string, string> Snapshot(string target)
    {
        var snap = new Dictionary<string, string>(StringComparer.Ordinal);
        void Add(string abs, string rel)
        {
            var st = RealFileSystem.Instance.Stat(abs);
            snap[rel] = st.Kind switch
            {
                EntryKind.File => $"file {Ledger.Hash(File.ReadAllBytes(abs))[..12]} mtime {st.MtimeNs}",
                EntryKind.Directory => "dir",
                _ => st.Kind.ToString(),
            };
            if (st.Kind != EntryKind.Directory) return;
            foreach (var e in Directory.EnumerateFileSystemEntries(abs)) Add(e, rel.Length == 0 ? System.IO.Path.GetFileName(e) : rel + "/" + System.IO.Path.GetFileName(e));
        }
        Add(target, "");
        return snap;
    }

    static string? Diff(Dictionary<string, string> before, Dictionary<string, string> after)
    {
        var diffs = before.Keys.Union(after.Keys).Where(k => before.GetValueOrDefault(k) != after.GetValueOrDefault(k))
            .Select(k => $"'{k}': {before.GetValueOrDefault(k) ?? "missing"} -> {after.GetValueOrDefault(k) ?? "missing"}").ToList();
        return diffs.Count == 0 ? null : string.Join("; ", diffs.Take(5));
    }

    static bool SameOrUnder(string p, string ancestor) =>
        string.Equals(p, ancestor, StringComparison.Ordinal) || p.StartsWith(ancestor + "/", StringComparison.Ordinal);
}
