using System.Security.Cryptography;
using System.Text;

namespace TinySync.Reliability.Tests.Harness;

/// <summary>
/// Fault decisions for one sync cycle of one device. A decision depends on (seed, device, cycle, fault kind, call key,
/// how many times that key was seen in this cycle), never on the order in which parallel transfers reach it, so a seed
/// replays the same faults even though the engine moves chunks on several threads.
/// </summary>
public sealed class FaultDice(int seed, int device, int cycle)
{
    readonly Dictionary<string, int> _seen = new(StringComparer.Ordinal);

    public int Seed => seed;

    /// <summary>True with probability <paramref name="p"/> for this occurrence of (kind, key).</summary>
    public bool Roll(string kind, string key, double p)
    {
        if (p <= 0) return false;
        return Uniform(kind, key) < p;
    }

    /// <summary>A number in [0, max) for this occurrence of (kind, key).</summary>
    public int Int(string kind, string key, int max) => (int)(Uniform(kind, key) * max);

    double Uniform(string kind, string key)
    {
        int n;
        var k = kind + "|" + key;
        lock (_seen)
        {
            _seen.TryGetValue(k, out n);
            _seen[k] = n + 1;
        }
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes($"{seed}|{device}|{cycle}|{k}|{n}"), hash);
        return (BitConverter.ToUInt64(hash) >> 11) * (1.0 / (1UL << 53));
    }
}

/// <summary>The simulated death of the client process: nothing catches it, nothing in memory survives it.</summary>
public sealed class SimulatedCrash(string where) : Exception($"simulated client crash at {where}");

/// <summary>Counts of injected faults by kind, for the report.</summary>
public sealed class FaultCounts
{
    readonly Dictionary<string, long> _counts = new(StringComparer.Ordinal);

    public void Add(string kind, long n = 1)
    {
        lock (_counts) _counts[kind] = _counts.GetValueOrDefault(kind) + n;
    }

    public void AddAll(FaultCounts other)
    {
        foreach (var (k, v) in other.Snapshot()) Add(k, v);
    }

    public IReadOnlyDictionary<string, long> Snapshot()
    {
        lock (_counts) return new SortedDictionary<string, long>(_counts, StringComparer.Ordinal);
    }

    public long Total => Snapshot().Values.Sum();

    public override string ToString() => string.Join(", ", Snapshot().Select(kv => $"{kv.Key}={kv.Value}"));
}
