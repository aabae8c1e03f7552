namespace TinySync.Reliability.Tests.Harness;

/// <summary>
/// User operations made the way real tools make them (issue 13): an editor's atomic save (a temp file beside the
/// original, renamed over it: a new inode), a git checkout or rsync replacing a file (the new name written, the old
/// one unlinked: a new inode, the same or new bytes), a case flip through a new inode (for a folder: a new folder, the
/// contents moved in, the old one removed), and permission changes (the executable bit, which syncs, or owner-only
/// bits, which stay local).
/// </summary>
public sealed partial class UserOps
{
    static readonly (string Kind, int Weight)[] RealToolKinds = [("atomicsave", 8), ("checkout", 5), ("caseflip", 4), ("chmod", 4)];

    string? ApplyRealTool(string kind, SimDevice d, List<string> files, List<string> dirs) => kind switch
    {
        "atomicsave" => files.Count == 0 ? null : AtomicSave(d, Pick(files)),
        "checkout" => files.Count == 0 ? null : CheckoutRename(d, Pick(files), dirs),
        "caseflip" => files.Count + dirs.Count == 0 ? null : CaseFlipNewInode(d, Pick([.. files, .. dirs])),
        "chmod" => files.Count == 0 ? null : Chmod(d, Pick(files)),
        _ => null,
    };

    string AtomicSave(SimDevice d, string rel)
    {
        var tmp = Join(VaultParent(rel), "." + Path.GetFileName(rel) + ".swp");
        Supersede(d, rel, "saved over");
        var content = NewContent(d);
        ledger.Wrote(content, $"{d.Name} atomic save {rel}");
        File.WriteAllBytes(Abs(d, tmp), content);
        File.SetUnixFileMode(Abs(d, tmp), File.GetUnixFileMode(Abs(d, rel))); // editors keep the mode
        File.Move(Abs(d, tmp), Abs(d, rel), overwrite: true);
        Touch(rel);
        return $"atomic save {rel} via {tmp} (new inode, {content.Length} B, {Ledger.Hash(content)[..8]})";
    }

    string? CheckoutRename(SimDevice d, string rel, List<string> dirs)
    {
        var dir = dirs.Count == 0 || rng.Next(2) == 0 ? VaultParent(rel) : Pick(dirs);
        var name = FreeName(d, dir, FileNames);
        if (name is null) return null;
        var to = Join(dir, name);
        return $"checkout-style {rel} -> {to}: new name written, old unlinked ({WriteNewUnlinkOld(d, rel, to, "checkout", newBytesOneIn: 2)})";
    }

    string? CaseFlipNewInode(SimDevice d, string rel)
    {
        var name = Path.GetFileName(rel);
        var flipped = char.IsUpper(name[0]) ? char.ToLowerInvariant(name[0]) + name[1..] : char.ToUpperInvariant(name[0]) + name[1..];
        if (string.Equals(flipped, name, StringComparison.Ordinal)) return null;
        var to = Join(VaultParent(rel), flipped);
        if (Directory.Exists(Abs(d, rel)))
        {
            Directory.CreateDirectory(Abs(d, to));
            foreach (var e in Directory.EnumerateFileSystemEntries(Abs(d, rel)).ToList())
            {
                var target = Path.Combine(Abs(d, to), Path.GetFileName(e));
                if (Directory.Exists(e)) Directory.Move(e, target);
                else File.Move(e, target);
            }
            Directory.Delete(Abs(d, rel));
            Touch(rel, to);
            return $"case-flip folder {rel} -> {to} (a new folder, the contents moved in, the old one removed)";
        }
        return $"case-flip {rel} -> {to} through a new inode ({WriteNewUnlinkOld(d, rel, to, "case-flip", newBytesOneIn: 3)})";
    }

    /// <summary>Writes <paramref name="to"/> as a new file holding the old bytes (or, one time in
    /// <paramref name="newBytesOneIn"/>, new ones), then unlinks <paramref name="rel"/>. Says which bytes.</summary>
    string WriteNewUnlinkOld(SimDevice d, string rel, string to, string verb, int newBytesOneIn)
    {
        var content = File.ReadAllBytes(Abs(d, rel));
        var what = "same bytes";
        if (rng.Next(newBytesOneIn) == 0)
        {
            Supersede(d, rel, "replaced");
            content = NewContent(d);
            ledger.Wrote(content, $"{d.Name} {verb} {to}");
            what = $"{content.Length} B, {Ledger.Hash(content)[..8]}";
        }
        File.WriteAllBytes(Abs(d, to), content);
        File.Delete(Abs(d, rel));
        Touch(rel, to);
        return what;
    }

    string Chmod(SimDevice d, string rel)
    {
        var abs = Abs(d, rel);
        var mode = File.GetUnixFileMode(abs);
        if (rng.Next(2) == 0)
        {
            File.SetUnixFileMode(abs, mode ^ UnixFileMode.UserExecute);
            Touch(rel); // the executable bit is synced state
            return $"chmod u{((mode & UnixFileMode.UserExecute) != 0 ? "-" : "+")}x {rel}";
        }
        var owner = mode & (UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetUnixFileMode(abs, owner);
        return $"chmod go-rwx {rel} (kept locally, not synced)";
    }
}
