using System.Security.Cryptography;
using TinySync.Client.Engine;

namespace TinySync.EndToEnd.Tests.Support;

/// <summary>Folder trees as git sees them: a snapshot to compare, and a checkout that turns one tree into another.</summary>
public static class Checkout
{
    const UnixFileMode Exec = UnixFileMode.UserExecute;

    /// <summary>Every file (SHA-256 of its bytes, "+x" when executable) and directory ("/") under <paramref name="root"/>.</summary>
    public static SortedDictionary<string, string> Snapshot(string root)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var e in Directory.EnumerateFileSystemEntries(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            var rel = Path.GetRelativePath(root, e).Replace('\\', '/');
            if (Directory.Exists(e))
            {
                result[rel] = "/";
                continue;
            }
            var exec = (File.GetUnixFileMode(e) & Exec) != 0 ? "+x" : "";
            result[rel] = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(e))) + exec;
        }
        return result;
    }

    /// <summary>Conflict copies anywhere under <paramref name="root"/>.</summary>
    public static IEnumerable<string> ConflictCopies(string root) =>
        Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories).Where(p => ConflictNames.IsConflictCopy(Path.GetFileName(p)));

    /// <summary>
    /// Makes <paramref name="folder"/> hold exactly the tree in <paramref name="tree"/>, the way <c>git checkout</c> and
    /// <c>rsync --delete</c> do: files that left the tree (or became folders) are unlinked, emptied folders removed, and
    /// every new or changed file is written as a new file (a new inode, never rewritten in place), with its mode. A
    /// case-only rename is a new name plus an unlink of the old one. Returns the number of paths changed.
    /// </summary>
    public static int Apply(string tree, string folder)
    {
        var want = Snapshot(tree);
        var have = Snapshot(folder);
        var changed = 0;
        foreach (var (rel, v) in have.Where(h => h.Value != "/").ToList())
        {
            if (want.TryGetValue(rel, out var w) && w != "/") continue;
            File.Delete(Path.Combine(folder, rel));
            changed++;
        }
        foreach (var (rel, _) in have.Where(h => h.Value == "/").OrderByDescending(h => h.Key.Length))
        {
            if (want.TryGetValue(rel, out var w) && w == "/") continue;
            Directory.Delete(Path.Combine(folder, rel), recursive: true);
            changed++;
        }
        foreach (var (rel, v) in want)
        {
            var target = Path.Combine(folder, rel);
            if (v == "/")
            {
                if (!Directory.Exists(target)) Directory.CreateDirectory(target);
                continue;
            }
            if (have.TryGetValue(rel, out var h) && h == v && File.Exists(target)) continue;
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            if (File.Exists(target)) File.Delete(target);
            File.Copy(Path.Combine(tree, rel), target);
            File.SetUnixFileMode(target, v.EndsWith("+x", StringComparison.Ordinal) ? (UnixFileMode)0b111_101_101 : (UnixFileMode)0b110_100_100);
            changed++;
        }
        return changed;
    }
}
