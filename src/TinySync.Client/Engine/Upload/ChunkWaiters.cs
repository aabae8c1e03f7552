using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading.Channels;

namespace TinySync.Client.Engine.Upload;

/// <summary>
/// Which of an upload's puts wait for which chunk the server lacks. A put becomes ready (on <see cref="Ready"/>) when
/// the last chunk it waits for is durable on the server. Most chunks belong to one file: the first waiter sits in a
/// plain map, further ones (shared content) in a second one. The first waiter is also the one that reads the chunk.
/// </summary>
internal sealed class ChunkWaiters
{
    const int MissingBatchSize = 1000;

    readonly Dictionary<string, int> _firstWaiter;
    readonly Dictionary<string, List<int>> _moreWaiters = new(StringComparer.Ordinal);
    readonly int[] _waiting;
    readonly bool[] _gone; // torn or unreadable: not committed this round
    readonly Channel<int> _ready = Channel.CreateUnbounded<int>(new() { SingleReader = true });

    ChunkWaiters(Dictionary<string, int> firstWaiter, IReadOnlyList<UploadPut> puts)
    {
        _firstWaiter = firstWaiter;
        _waiting = new int[puts.Count];
        _gone = new bool[puts.Count];
        for (var i = 0; i < puts.Count; i++)
        {
            var own = puts[i].Local.Chunks;
            HashSet<string>? seen = own.Count > 1 ? new(StringComparer.Ordinal) : null;
            foreach (var c in own)
            {
                if (!firstWaiter.TryGetValue(c.Hash, out var first)) continue;
                if (seen is not null && !seen.Add(c.Hash)) continue; // the same chunk twice in one file
                if (first == i)
                {
                    TotalBytes += c.Length;
                }
                else
                {
                    if (!_moreWaiters.TryGetValue(c.Hash, out var list)) _moreWaiters[c.Hash] = list = [];
                    list.Add(i);
                }
                _waiting[i]++;
            }
        }
        for (var i = 0; i < puts.Count; i++)
        {
            if (_waiting[i] == 0) _ready.Writer.TryWrite(i);
        }
    }

    /// <summary>
    /// Asks the server which of the puts' chunks it lacks. Each distinct chunk once, with the first put that holds it
    /// (keyed by the puts' own hash strings): a chunk is marked missing by flipping its entry back from ~first to
    /// first, so the answers (100,000 strings parsed from JSON) are dropped at once and no set of them is built
    /// (decision 0414).
    /// </summary>
    public static async Task<ChunkWaiters> FindAsync(LinkContext cx, IReadOnlyList<UploadPut> puts, CancellationToken ct)
    {
        var chunks = 0;
        foreach (var p in puts) chunks += p.Local.Chunks.Count;
        var firstWaiter = new Dictionary<string, int>(chunks, StringComparer.Ordinal);
        for (var i = 0; i < puts.Count; i++)
        {
            foreach (var c in puts[i].Local.Chunks) firstWaiter.TryAdd(c.Hash, ~i);
        }
        foreach (var slice in firstWaiter.Keys.Chunk(MissingBatchSize))
        {
            foreach (var h in await cx.Api.MissingChunksAsync(cx.Link.VaultId, slice, ct).ConfigureAwait(false))
            {
                ref var first = ref CollectionsMarshal.GetValueRefOrNullRef(firstWaiter, h);
                if (!Unsafe.IsNullRef(ref first) && first < 0) first = ~first;
            }
        }
        foreach (var (h, first) in firstWaiter)
        {
            if (first < 0) firstWaiter.Remove(h); // the server has it
        }
        return new ChunkWaiters(firstWaiter, puts);
    }

    /// <summary>Bytes of the missing chunks (each once).</summary>
    public long TotalBytes { get; }

    /// <summary>Indexes of puts whose chunks are all on the server.</summary>
    public ChannelReader<int> Ready => _ready.Reader;

    /// <summary>True when put <paramref name="index"/> waits for at least one chunk.</summary>
    public bool Waits(int index) => _waiting[index] > 0;

    /// <summary>True when put <paramref name="index"/> is the one that reads and sends the chunk.</summary>
    public bool IsReader(string hash, int index) => _firstWaiter.TryGetValue(hash, out var first) && first == index;

    /// <summary>Chunks durable on the server: the puts that waited for them last become ready.</summary>
    public void Sent(List<(string Hash, int Length)> sent)
    {
        var now = new List<int>();
        lock (_waiting)
        {
            foreach (var (hash, _) in sent)
            {
                if (!_firstWaiter.TryGetValue(hash, out var first)) continue;
                if (--_waiting[first] == 0 && !_gone[first]) now.Add(first);
                if (!_moreWaiters.TryGetValue(hash, out var list)) continue;
                foreach (var i in list)
                {
                    if (--_waiting[i] == 0 && !_gone[i]) now.Add(i);
                }
            }
        }
        foreach (var i in now) _ready.Writer.TryWrite(i);
    }

    /// <summary>Put <paramref name="index"/> changed or could not be read: it never becomes ready this round.</summary>
    public void Gone(int index)
    {
        lock (_waiting) _gone[index] = true;
    }

    /// <summary>No more chunks will be sent.</summary>
    public void Complete() => _ready.Writer.TryComplete();

    /// <summary>Puts that still wait for a chunk another (changed or unreadable) file was to send.</summary>
    public IEnumerable<int> Stranded()
    {
        for (var i = 0; i < _waiting.Length; i++)
        {
            if (_waiting[i] > 0 && !_gone[i]) yield return i;
        }
    }
}
