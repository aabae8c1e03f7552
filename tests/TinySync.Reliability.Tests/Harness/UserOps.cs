using System.Text;
using TinySync.Client.Scanning;

namespace TinySync.Reliability.Tests.Harness;

/// <summary>
/// What a user does to a device's folder between syncs, drawn from the scenario's random stream: create, modify,
/// append, truncate, delete, rename, move across directories, mkdir, rmdir (with contents), directory moves,
/// case-only renames, a file becoming a directory and back. Names come from a small pool so devices collide often.
/// Never two names that differ only in case side by side on one device (a case-insensitive user).
/// </summary>
public sealed partial class UserOps(Random rng, Ledger ledger, bool sameSizeRewrites = false, bool realTools = false, bool symlinks = false)
{
    static readonly string[] FileNames = ["a.txt", "b.txt", "c.bin", "notes.md", "e"];
    static readonly string[] DirNames = ["d1", "d2", "docs", "x"];
    const int MaxDirDepth = 2;

    int _writes;

    static readonly (string Kind, int Weight)[] Kinds =
    [
        ("create", 18), ("modify", 12), ("append", 6), ("truncate", 5), ("delete", 8), ("rename", 5), ("move", 6),
        ("mkdir", 8), ("rmdir", 4), ("dirmove", 5), ("case", 4), ("file2dir", 3), ("dir2file", 2),
    ];

    /// <summary>The paths the last operation changed (both names of a move), for <see cref="ConflictWitness"/>.</summary>
    public List<string> Touched { get; } = [];

    void Touch(params string[] paths) => Touched.AddRange(paths);

    /// <summary>Applies one random operation to the device's folder and describes it (null when none applied).</summary>
    public string? Apply(SimDevice d)
    {
        Touched.Clear();
        var (files, dirs) = Listing(d.Folder);
        (string Kind, int Weight)[] kinds = sameSizeRewrites ? [.. Kinds, ("rewrite", 10)] : Kinds;
        if (realTools) kinds = [.. kinds, .. RealToolKinds];
        if (symlinks) kinds = [.. kinds, .. SymlinkKinds];
        // a folder holding a symbolic link keeps its structure (the user moves the link's folder back into it later)
        var free = dirs.Where(x => !d.Links.HoldsLink(x)).ToList();
        var total = kinds.Sum(k => k.Weight);
        var pick = rng.Next(total);
        var kind = kinds.First(k => (pick -= k.Weight) < 0).Kind;
        return kind switch
        {
            "create" => Create(d, dirs),
            "modify" => files.Count == 0 ? Create(d, dirs) : Modify(d, Pick(files)),
            "append" => files.Count == 0 ? null : Append(d, Pick(files)),
            "truncate" => files.Count == 0 ? null : Truncate(d, Pick(files)),
            "delete" => files.Count == 0 ? null : Delete(d, Pick(files)),
            "rename" => files.Count == 0 ? null : Move(d, Pick(files), sameDir: true, dirs),
            "move" => files.Count == 0 ? null : Move(d, Pick(files), sameDir: false, dirs),
            "mkdir" => Mkdir(d, dirs),
            "rmdir" => free.Count == 0 ? null : Rmdir(d, Pick(free)),
            "dirmove" => free.Count == 0 ? null : DirMove(d, Pick(free), dirs),
            "case" => files.Count + free.Count == 0 ? null : CaseRename(d, Pick([.. files, .. free])),
            "file2dir" => files.Count == 0 ? null : FileToDir(d, Pick(files)),
            "dir2file" => free.Count == 0 ? null : DirToFile(d, Pick(free)),
            "rewrite" => files.Count == 0 ? null : Rewrite(d, Pick(files)),
            _ => ApplyRealTool(kind, d, files, free) ?? ApplySymlink(kind, d, files, free, dirs),
        };
    }

    T Pick<T>(IReadOnlyList<T> list) => list[rng.Next(list.Count)];

    static string Abs(SimDevice d, string rel) => Path.Combine(d.Folder, rel);

    static string Join(string? dir, string name) => string.IsNullOrEmpty(dir) ? name : dir + "/" + name;

    static int Depth(string rel) => rel.Count(c => c == '/') + 1;

    /// <summary>Files and directories of a folder (relative, sorted; the engine's temp files and symbolic links left
    /// out, and never followed).</summary>
    public static (List<string> Files, List<string> Dirs) Listing(string root)
    {
        var files = new List<string>();
        var dirs = new List<string>();
        foreach (var (e, isDir) in Walk(root))
        {
            if (Path.GetFileName(e).StartsWith(IgnoreRules.TempPrefix, StringComparison.Ordinal)) continue;
            var rel = Path.GetRelativePath(root, e).Replace('\\', '/');
            if (isDir) dirs.Add(rel);
            else files.Add(rel);
        }
        files.Sort(StringComparer.Ordinal);
        dirs.Sort(StringComparer.Ordinal);
        return (files, dirs);
    }

    /// <summary>Every entry under <paramref name="root"/> but symbolic links (which are neither listed nor followed).</summary>
    public static IEnumerable<(string Path, bool IsDir)> Walk(string root)
    {
        foreach (var e in new DirectoryInfo(root).EnumerateFileSystemInfos())
        {
            if (e.LinkTarget is not null) continue;
            var isDir = e is DirectoryInfo;
            yield return (e.FullName, isDir);
            if (!isDir) continue;
            foreach (var inner in Walk(e.FullName)) yield return inner;
        }
    }

    /// <summary>A free name in <paramref name="dir"/>: no sibling with the same name ignoring case.</summary>
    string? FreeName(SimDevice d, string? dir, string[] pool, string? except = null)
    {
        var abs = dir is null ? d.Folder : Abs(d, dir);
        if (!Directory.Exists(abs)) return null;
        var taken = Directory.EnumerateFileSystemEntries(abs).Select(Path.GetFileName)
            .Where(n => !string.Equals(n, except, StringComparison.Ordinal))
            .Select(n => n!.ToUpperInvariant()).ToHashSet(StringComparer.Ordinal);
        var free = pool.Where(n => !taken.Contains(n.ToUpperInvariant())).ToList();
        return free.Count == 0 ? null : free[rng.Next(free.Count)];
    }

    byte[] NewContent(SimDevice d)
    {
        var r = rng.NextDouble();
        var size = r < 0.7 ? rng.Next(0, 2000) : r < 0.96 ? rng.Next(2000, 64 * 1024) : rng.Next(1_200_000, 2_600_000);
        var header = Encoding.UTF8.GetBytes($"w{++_writes} by {d.Name}\n");
        var bytes = new byte[header.Length + size];
        header.CopyTo(bytes, 0);
        rng.NextBytes(bytes.AsSpan(header.Length));
        return bytes;
    }

    void Supersede(SimDevice d, string rel, string why)
    {
        var abs = Abs(d, rel);
        if (File.Exists(abs)) ledger.Superseded(Ledger.Hash(File.ReadAllBytes(abs)), $"{d.Name} {why} {rel}");
    }

    void SupersedeTree(SimDevice d, string rel, string why)
    {
        foreach (var f in Directory.EnumerateFiles(Abs(d, rel), "*", SearchOption.AllDirectories))
        {
            ledger.Superseded(Ledger.Hash(File.ReadAllBytes(f)), $"{d.Name} {why} {rel}");
        }
    }

    string Write(SimDevice d, string rel, byte[] content, string verb)
    {
        ledger.Wrote(content, $"{d.Name} {verb} {rel}");
        File.WriteAllBytes(Abs(d, rel), content);
        Touch(rel);
        return $"{verb} {rel} ({content.Length} B, {Ledger.Hash(content)[..8]})";
    }

    string? Create(SimDevice d, List<string> dirs)
    {
        var dir = dirs.Count == 0 || rng.Next(3) == 0 ? null : Pick(dirs);
        var name = FreeName(d, dir, FileNames);
        return name is null ? null : Write(d, Join(dir, name), NewContent(d), "create");
    }

    string Modify(SimDevice d, string rel)
    {
        Supersede(d, rel, "overwrote");
        return Write(d, rel, NewContent(d), "modify");
    }

    /// <summary>New bytes, same size, same inode: only the mtime tells the scanner (a fast editor's save).</summary>
    string? Rewrite(SimDevice d, string rel)
    {
        var old = File.ReadAllBytes(Abs(d, rel));
        if (old.Length < 12) return null;
        Supersede(d, rel, "rewrote");
        var header = Encoding.UTF8.GetBytes($"r{++_writes}:");
        var content = old.ToArray();
        header.CopyTo(content, 0);
        rng.NextBytes(content.AsSpan(header.Length, Math.Min(8, content.Length - header.Length)));
        ledger.Wrote(content, $"{d.Name} rewrite {rel}");
        Touch(rel);
        using (var s = new FileStream(Abs(d, rel), FileMode.Open)) s.Write(content);
        return $"rewrite {rel} in place, same size ({content.Length} B, {Ledger.Hash(content)[..8]})";
    }

    string Append(SimDevice d, string rel)
    {
        Supersede(d, rel, "appended to");
        var extra = new byte[rng.Next(1, 3000)];
        rng.NextBytes(extra);
        var content = File.ReadAllBytes(Abs(d, rel)).Concat(Encoding.UTF8.GetBytes($"+w{++_writes}")).Concat(extra).ToArray();
        ledger.Wrote(content, $"{d.Name} append {rel}");
        Touch(rel);
        using (var s = new FileStream(Abs(d, rel), FileMode.Append)) s.Write(content.AsSpan((int)new FileInfo(Abs(d, rel)).Length));
        return $"append {rel} (now {content.Length} B, {Ledger.Hash(content)[..8]})";
    }

    string Truncate(SimDevice d, string rel)
    {
        var old = File.ReadAllBytes(Abs(d, rel));
        Supersede(d, rel, "truncated");
        var length = old.Length == 0 ? 0 : rng.Next(old.Length);
        ledger.Wrote(old[..length], $"{d.Name} truncate {rel}");
        Touch(rel);
        using (var s = new FileStream(Abs(d, rel), FileMode.Open)) s.SetLength(length);
        return $"truncate {rel} to {length} B";
    }

    string Delete(SimDevice d, string rel)
    {
        Supersede(d, rel, "deleted");
        File.Delete(Abs(d, rel));
        Touch(rel);
        return $"delete {rel}";
    }

    string? Move(SimDevice d, string rel, bool sameDir, List<string> dirs)
    {
        var parent = VaultParent(rel);
        string? dir = parent;
        if (!sameDir)
        {
            var choices = dirs.Where(x => !string.Equals(x, parent, StringComparison.Ordinal)).Select(x => (string?)x).ToList();
            if (parent is not null) choices.Add(null);
            if (choices.Count == 0) return null;
            dir = choices[rng.Next(choices.Count)];
        }
        var name = FreeName(d, dir, FileNames);
        if (name is null) return null;
        var to = Join(dir, name);
        File.Move(Abs(d, rel), Abs(d, to));
        Touch(rel, to);
        return $"{(sameDir ? "rename" : "move")} {rel} -> {to}";
    }

    string? Mkdir(SimDevice d, List<string> dirs)
    {
        var parents = dirs.Where(x => Depth(x) < MaxDirDepth).Select(x => (string?)x).Append(null).ToList();
        var parent = parents[rng.Next(parents.Count)];
        var name = FreeName(d, parent, DirNames);
        if (name is null) return null;
        var rel = Join(parent, name);
        Directory.CreateDirectory(Abs(d, rel));
        Touch(rel);
        return $"mkdir {rel}";
    }

    string Rmdir(SimDevice d, string rel)
    {
        SupersedeTree(d, rel, "deleted the folder");
        Directory.Delete(Abs(d, rel), recursive: true);
        Touch(rel);
        return $"rmdir -r {rel}";
    }

    string? DirMove(SimDevice d, string rel, List<string> dirs)
    {
        var height = TreeHeight(Abs(d, rel));
        var parents = dirs.Where(x => !IsSameOrUnder(x, rel) && Depth(x) + height <= MaxDirDepth + 1).Select(x => (string?)x).Append(null).ToList();
        var parent = parents[rng.Next(parents.Count)];
        var name = FreeName(d, parent, DirNames);
        if (name is null) return null;
        var to = Join(parent, name);
        Directory.Move(Abs(d, rel), Abs(d, to));
        Touch(rel, to);
        return $"move folder {rel} -> {to}";
    }

    string? CaseRename(SimDevice d, string rel)
    {
        var parent = VaultParent(rel);
        var name = Path.GetFileName(rel);
        var flipped = char.IsUpper(name[0]) ? char.ToLowerInvariant(name[0]) + name[1..] : char.ToUpperInvariant(name[0]) + name[1..];
        if (string.Equals(flipped, name, StringComparison.Ordinal)) return null;
        var to = Join(parent, flipped);
        if (Directory.Exists(Abs(d, rel))) Directory.Move(Abs(d, rel), Abs(d, to));
        else File.Move(Abs(d, rel), Abs(d, to));
        Touch(rel, to);
        return $"case-rename {rel} -> {to}";
    }

    string FileToDir(SimDevice d, string rel)
    {
        Supersede(d, rel, "replaced by a folder");
        File.Delete(Abs(d, rel));
        Directory.CreateDirectory(Abs(d, rel));
        Touch(rel);
        var inner = Join(rel, FileNames[rng.Next(FileNames.Length)]);
        var what = rng.Next(2) == 0 ? "" : "; " + Write(d, inner, NewContent(d), "create");
        return $"file->folder {rel}{what}";
    }

    string DirToFile(SimDevice d, string rel)
    {
        SupersedeTree(d, rel, "replaced the folder by a file");
        Directory.Delete(Abs(d, rel), recursive: true);
        Touch(rel);
        return "folder->file: " + Write(d, rel, NewContent(d), "create");
    }

    static string? VaultParent(string rel)
    {
        var i = rel.LastIndexOf('/');
        return i < 0 ? null : rel[..i];
    }

    static bool IsSameOrUnder(string p, string ancestor) =>
        string.Equals(p, ancestor, StringComparison.Ordinal) || p.StartsWith(ancestor + "/", StringComparison.Ordinal);

    static int TreeHeight(string abs)
    {
        var max = 1;
        foreach (var sub in Directory.EnumerateDirectories(abs)) max = Math.Max(max, 1 + TreeHeight(sub));
        return max;
    }
}
