using TinySync.Core.Paths;

namespace TinySync.Reliability.Tests.Harness;

/// <summary>
/// The no-spurious-conflict invariant (issue 13): a conflict copy may appear only where two devices really changed the
/// same item concurrently. Every change a device makes (user operations, its own conflict copies) is recorded with the
/// paths it touched, and every sync cycle with its start and end on one logical clock. Two changes are ordered when
/// the first device had a converged cycle that started after its change, and the second device then had a converged
/// cycle, started after that one ended and ended before its own change: the second device had seen the first change.
/// A conflict copy of path P made by device D is real only when some change of D and some change of another device,
/// both on a path related to P (P itself, its case twin, an ancestor or a descendant, or any of these under the names
/// they had before or after a recorded move: a change of two paths is a move), are not ordered either way.
/// The test is deliberately generous (related paths, converged cycles only), so a violation is a conflict that nothing
/// concurrent can explain.
/// </summary>
public sealed class ConflictWitness
{
    readonly List<(int Device, long At, string[] Keys)> _changes = [];
    readonly Dictionary<int, List<(long Start, long End)>> _converged = [];
    long _clock;

    /// <summary>Device <paramref name="device"/> changed <paramref name="paths"/> (old and new names of a move).</summary>
    public void Changed(int device, IEnumerable<string> paths)
    {
        var keys = paths.Select(VaultPath.Key).Distinct(StringComparer.Ordinal).ToArray();
        if (keys.Length > 0) _changes.Add((device, ++_clock, keys));
    }

    /// <summary>A sync cycle starts; pass the result to <see cref="CycleEnded"/>.</summary>
    public long CycleStarts() => ++_clock;

    public void CycleEnded(int device, long start, bool converged)
    {
        var end = ++_clock;
        if (!converged) return;
        if (!_converged.TryGetValue(device, out var list)) _converged[device] = list = [];
        list.Add((start, end));
    }

    /// <summary>Null when a conflict copy of <paramref name="path"/> (clashing with <paramref name="twin"/>, if any) made
    /// by <paramref name="device"/> now is explained by concurrent changes; else why not.</summary>
    public string? Explain(int device, string path, string? twin)
    {
        var targets = Aliases(twin is null ? [VaultPath.Key(path)] : [VaultPath.Key(path), VaultPath.Key(twin)]);
        var related = _changes.Where(c => c.Keys.Any(k => targets.Any(t => Related(k, t)))).ToList();
        var own = related.Where(c => c.Device == device).ToList();
        var others = related.Where(c => c.Device != device).ToList();
        foreach (var a in own)
        {
            foreach (var b in others)
            {
                if (!Before(a.Device, a.At, b.Device, b.At) && !Before(b.Device, b.At, a.Device, a.At)) return null;
            }
        }
        return $"{own.Count} change(s) by this device and {others.Count} by others touched it, none of them concurrent";
    }

    /// <summary>The keys and every name they had before or after a recorded move (of them or of a folder above them).</summary>
    HashSet<string> Aliases(IEnumerable<string> keys)
    {
        var aliases = new HashSet<string>(keys, StringComparer.Ordinal);
        for (var grew = true; grew && aliases.Count < 256;)
        {
            grew = false;
            foreach (var (_, _, k) in _changes)
            {
                if (k.Length != 2) continue;
                foreach (var a in aliases.ToList())
                {
                    if (SameOrUnder(a, k[1])) grew |= aliases.Add(k[0] + a[k[1].Length..]);
                    if (SameOrUnder(a, k[0])) grew |= aliases.Add(k[1] + a[k[0].Length..]);
                }
            }
        }
        return aliases;
    }

    static bool SameOrUnder(string a, string b) => a == b || (a.Length > b.Length && a[b.Length] == '/' && a.StartsWith(b, StringComparison.Ordinal));

    bool Before(int x, long t1, int y, long t2)
    {
        if (!_converged.TryGetValue(x, out var xs) || !_converged.TryGetValue(y, out var ys)) return false;
        foreach (var cx in xs)
        {
            if (cx.Start <= t1) continue;
            foreach (var cy in ys)
            {
                if (cy.Start > cx.End && cy.End < t2) return true;
            }
        }
        return false;
    }

    static bool Related(string a, string b) => SameOrUnder(a, b) || SameOrUnder(b, a);
}
