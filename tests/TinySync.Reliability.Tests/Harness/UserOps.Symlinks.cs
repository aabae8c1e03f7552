using System.Text;

namespace TinySync.Reliability.Tests.Harness;

/// <summary>
/// Symbolic links as users make them (issue 13): a synced folder or file moved elsewhere and linked back in its place
/// (<c>mv D ~/elsewhere/D; ln -s ~/elsewhere/D D</c>), a new link to an outside folder or file at a name other devices
/// also use, two links looping back into the folder (<c>ln -s .. sub/l1; ln -s .. sub/l2</c>), and the user undoing a
/// link (removing it and moving the folder or file back). The invariants are <see cref="DeviceLinks"/>'.
/// </summary>
public sealed partial class UserOps
{
    static readonly (string Kind, int Weight)[] SymlinkKinds = [("dir2link", 3), ("file2link", 2), ("newlink", 2), ("looplinks", 1), ("unlink", 4)];

    string? ApplySymlink(string kind, SimDevice d, List<string> files, List<string> freeDirs, List<string> dirs) => kind switch
    {
        "dir2link" => freeDirs.Count == 0 ? null : ReplaceByLink(d, Pick(freeDirs), "dir"),
        "file2link" => files.Count == 0 ? null : ReplaceByLink(d, Pick(files), "file"),
        "newlink" => NewOutsideLink(d, dirs),
        "looplinks" => LoopLinks(d, dirs),
        "unlink" => d.Links.All.Count == 0 ? null : Undo(d, Pick(d.Links.All)),
        _ => null,
    };

    // Every link made or removed is a change at its path for the ConflictWitness: the engine never reads through a link
    // (decision 0420), so a file replaced by one is not published by the cycles that follow, and the file moved back is
    // a change the device publishes only then (seeds 731228, 731559).

    /// <summary>The user removes a link (and moves back what it replaced).</summary>
    string Undo(SimDevice d, LinkRecord link)
    {
        Touch(link.Path);
        return d.Links.Undo(link);
    }

    /// <summary>What was synced at <paramref name="rel"/> moves outside the folder and a link to it takes its place.</summary>
    string ReplaceByLink(SimDevice d, string rel, string what)
    {
        var abs = Abs(d, rel);
        var target = d.Links.NewOutside(Path.GetFileName(rel));
        if (what == "dir") Directory.Move(abs, target);
        else File.Move(abs, target);
        File.CreateSymbolicLink(abs, target);
        Touch(rel);
        d.Links.Add(new LinkRecord(rel, target, what + "-moved-out", moveBack: true));
        return $"mv {rel} {d.Links.Shown(target)}; ln -s {d.Links.Shown(target)} {rel} (a {what} replaced by a symbolic link to outside)";
    }

    /// <summary>A new link to an outside folder (holding files other devices' names collide with, and a file named like
    /// the engine's temp files) or an outside file, at a name from the shared pools.</summary>
    string? NewOutsideLink(SimDevice d, List<string> dirs)
    {
        var dir = dirs.Count == 0 || rng.Next(2) == 0 ? null : Pick(dirs);
        var toDir = rng.Next(2) == 0;
        var name = FreeName(d, dir, toDir ? DirNames : FileNames);
        if (name is null) return null;
        var rel = Join(dir, name);
        var target = d.Links.NewOutside(toDir ? "dir" : "file");
        if (toDir)
        {
            Directory.CreateDirectory(Path.Combine(target, "d1"));
            File.WriteAllBytes(Path.Combine(target, "a.txt"), Encoding.UTF8.GetBytes($"outside {target}\n"));
            File.WriteAllBytes(Path.Combine(target, "d1", "b.txt"), Encoding.UTF8.GetBytes($"outside {target}/d1\n"));
            File.WriteAllBytes(Path.Combine(target, ".tinysync-tmp-0123456789ab"), Encoding.UTF8.GetBytes("not the engine's\n"));
        }
        else
        {
            File.WriteAllBytes(target, Encoding.UTF8.GetBytes($"outside file {target}\n"));
        }
        File.CreateSymbolicLink(Abs(d, rel), target);
        Touch(rel);
        d.Links.Add(new LinkRecord(rel, target, toDir ? "new-dir" : "new-file", moveBack: false));
        return $"ln -s {d.Links.Shown(target)} {rel} (a new symbolic link to an outside {(toDir ? "folder" : "file")})";
    }

    /// <summary>Two links back to the folder above (or to the root itself): a walk that followed them would never end.</summary>
    string? LoopLinks(SimDevice d, List<string> dirs)
    {
        var dir = dirs.Count == 0 || rng.Next(3) == 0 ? null : Pick(dirs);
        var target = dir is null ? "." : "..";
        var made = new List<string>();
        foreach (var name in new[] { "l1", "l2" })
        {
            var rel = Join(dir, name);
            if (TinySync.Client.FileSystem.RealFileSystem.Instance.Stat(Abs(d, rel)).Kind != TinySync.Client.FileSystem.EntryKind.Missing) continue;
            File.CreateSymbolicLink(Abs(d, rel), target);
            Touch(rel);
            d.Links.Add(new LinkRecord(rel, target, "loop", moveBack: false));
            made.Add(rel);
        }
        return made.Count == 0 ? null : $"ln -s {target} {string.Join(", ", made)} (symbolic link loops)";
    }
}
