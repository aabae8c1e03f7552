using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace TinySync.Core.Chunking;

/// <summary>
/// FastCDC content-defined chunking (Xia et al., USENIX ATC 2016 / IEEE TPDS 2020): a gear rolling hash, cut-point
/// skipping below the minimum size and normalized chunking at level 2 with a middle step at half the average size.
/// Every TinySync client must cut a file at exactly the same offsets, or chunk hashes differ and deduplication across
/// devices breaks; the algorithm, <see cref="Default"/> parameters, gear table and masks are therefore part of the
/// wire format (docs/decisions/0101-fastcdc-parameters.md, 0102-fastcdc-middle-mask-step.md).
/// </summary>
/// <remarks>
/// <para>The cut rule for a chunk starting at <c>s</c>, with <c>n = min(MaxSize, bytes left)</c>:</para>
/// <list type="number">
/// <item>if <c>n &lt;= MinSize</c> the chunk is the <c>n</c> remaining bytes;</item>
/// <item>otherwise <c>fp = 0</c>, and for each <c>i</c> from <c>MinSize</c> to <c>n - 1</c> (bytes before
/// <c>MinSize</c> are not hashed): <c>fp = (fp &lt;&lt; 1) + Gear[data[s + i]]</c> (mod 2^64); the chunk ends after
/// byte <c>i</c> (length <c>i + 1</c>) as soon as <c>(fp &amp; mask) == 0</c>, where mask is
/// <see cref="SmallMask"/> while <c>i &lt; min(AverageSize / 2, n)</c>, <see cref="NormalMask"/> while
/// <c>i &lt; min(AverageSize, n)</c> and <see cref="LargeMask"/> after;</item>
/// <item>if no byte matched, the chunk is <c>n</c> bytes long.</item>
/// </list>
/// <para>A cut therefore depends only on the <c>min(MaxSize, bytes left)</c> bytes from the chunk start, which is what
/// lets the stream API use a bounded buffer and still cut exactly like the span API.</para>
/// </remarks>
public sealed class FastCdc
{
    /// <summary>Minimum chunk size of TinySync's wire format: 256 KiB (only a file's last chunk may be shorter).</summary>
    public const int DefaultMinSize = 256 * 1024;

    /// <summary>Average ("normal") chunk size of TinySync's wire format: 1 MiB, where the masks switch.</summary>
    public const int DefaultAverageSize = 1024 * 1024;

    /// <summary>Maximum chunk size of TinySync's wire format: 4 MiB.</summary>
    public const int DefaultMaxSize = 4 * 1024 * 1024;

    /// <summary>Smallest average size a custom chunker accepts (2^6).</summary>
    public const int MinAverageSize = 1 << 6;

    /// <summary>Largest maximum size a custom chunker accepts (2^28), so its 2 × max stream buffer fits an array.</summary>
    public const int MaxMaxSize = 1 << 28;

    /// <summary>The domain-separation prefix of the gear table derivation; see <see cref="Gear"/>.</summary>
    public const string GearSeed = "tinysync-fastcdc-gear-v1:";

    // Gear[i] = first 8 bytes, little-endian, of SHA-256(ASCII "tinysync-fastcdc-gear-v1:" + i in decimal).
    // Derived rather than pasted so the table is reproducible from one line of documentation.
    static readonly ulong[] GearTable = DeriveGearTable();

    readonly ulong _smallMask;
    readonly ulong _normalMask;
    readonly ulong _largeMask;

    /// <summary>The chunker every TinySync client uses: min 256 KiB, average 1 MiB, max 4 MiB.</summary>
    public static FastCdc Default { get; } = new(DefaultMinSize, DefaultAverageSize, DefaultMaxSize);

    /// <summary>
    /// A chunker with other sizes, for tests and benchmarks. Chunks cut with anything but <see cref="Default"/> are
    /// not interchangeable with other clients' chunks.
    /// </summary>
    /// <param name="minSize">Minimum chunk size, at least 1 and below <paramref name="averageSize"/>.</param>
    /// <param name="averageSize">Normal chunk size: a power of two from 2^6 to 2^28.</param>
    /// <param name="maxSize">Maximum chunk size, above <paramref name="averageSize"/> and at most 2^28.</param>
    /// <exception cref="ArgumentOutOfRangeException">When the sizes break any of those rules.</exception>
    public FastCdc(int minSize, int averageSize, int maxSize)
    {
        if (!BitOperations.IsPow2(averageSize) || averageSize < MinAverageSize || averageSize > MaxMaxSize)
        {
            throw new ArgumentOutOfRangeException(nameof(averageSize), averageSize,
                $"the average chunk size must be a power of two from {MinAverageSize} to {MaxMaxSize}");
        }
        if (minSize < 1 || minSize >= averageSize)
        {
            throw new ArgumentOutOfRangeException(nameof(minSize), minSize,
                $"the minimum chunk size must be at least 1 and below the average size {averageSize}");
        }
        if (maxSize <= averageSize || maxSize > MaxMaxSize)
        {
            throw new ArgumentOutOfRangeException(nameof(maxSize), maxSize,
                $"the maximum chunk size must be above the average size {averageSize} and at most {MaxMaxSize}");
        }
        MinSize = minSize;
        AverageSize = averageSize;
        MaxSize = maxSize;
        var bits = BitOperations.Log2((uint)averageSize);
        _smallMask = SpreadMask(bits + 2);
        _normalMask = SpreadMask(bits);
        _largeMask = SpreadMask(bits - 2);
    }

    /// <summary>Minimum chunk size in bytes; only the last chunk of an input may be shorter.</summary>
    public int MinSize { get; }

    /// <summary>Normal chunk size in bytes: the offset from the chunk start where the mask switches.</summary>
    public int AverageSize { get; }

    /// <summary>Maximum chunk size in bytes.</summary>
    public int MaxSize { get; }

    /// <summary>
    /// The mask used before half the <see cref="AverageSize"/>: log2(average) + 2 one-bits (22 for 1 MiB), so a cut is
    /// 4× less likely than 1/average per byte. The bits sit at every other position from bit 63 down
    /// (63, 61, …, 21 for 1 MiB, <c>0xAAAAAAAAAAA00000</c>): with the gear hash, bit k of the fingerprint depends
    /// on the last k + 1 bytes, so high, spread bits make each decision depend on up to 64 bytes of content.
    /// </summary>
    public ulong SmallMask => _smallMask;

    /// <summary>
    /// The mask used from half the <see cref="AverageSize"/> to the average size: log2(average) one-bits (20 for 1 MiB),
    /// a cut 1/average likely per byte, at positions 63, 61, … (<c>0xAAAAAAAAAA000000</c> for 1 MiB). Between
    /// <see cref="SmallMask"/> and <see cref="LargeMask"/>, so that a chain of cuts shifted by an insert falls back on
    /// the old cuts sooner (decision 0102).
    /// </summary>
    public ulong NormalMask => _normalMask;

    /// <summary>
    /// The mask used from <see cref="AverageSize"/> on: log2(average) − 2 one-bits (18 for 1 MiB), 4× more likely
    /// than 1/average per byte, at positions 63, 61, … (<c>0xAAAAAAAAA0000000</c> for 1 MiB). It is a subset of
    /// <see cref="SmallMask"/>.
    /// </summary>
    public ulong LargeMask => _largeMask;

    /// <summary>
    /// The 256-entry gear table: entry i is the first 8 bytes, read little-endian, of
    /// SHA-256(ASCII <c>"tinysync-fastcdc-gear-v1:"</c> followed by i in decimal, e.g. <c>…v1:0</c>, <c>…v1:255</c>).
    /// </summary>
    public static ReadOnlySpan<ulong> Gear => GearTable;

    /// <summary>
    /// The length of the chunk that starts at <c>data[0]</c>. <paramref name="data"/> must hold all the remaining
    /// input, or at least <see cref="MaxSize"/> bytes of it (bytes past <see cref="MaxSize"/> are not read): with
    /// less, the cut is that of an input ending where <paramref name="data"/> ends. Returns 0 only for empty data.
    /// </summary>
    public int FindCutPoint(ReadOnlySpan<byte> data)
    {
        var n = data.Length;
        if (n <= MinSize) return n;
        if (n > MaxSize) n = MaxSize;
        var normal = n < AverageSize ? n : AverageSize;
        var half = Math.Max(MinSize, Math.Min(normal, AverageSize / 2));

        // Hot loop: no bounds checks (i < n <= data.Length, and a byte always indexes the 256-entry table) and no
        // allocation. Locals, not fields, so the JIT keeps masks and fingerprint in registers.
        ref var src = ref MemoryMarshal.GetReference(data);
        ref var gear = ref MemoryMarshal.GetArrayDataReference(GearTable);
        var smallMask = _smallMask;
        var normalMask = _normalMask;
        var largeMask = _largeMask;
        ulong fp = 0;
        var i = MinSize;
        for (; i < half; i++)
        {
            fp = (fp << 1) + Unsafe.Add(ref gear, Unsafe.Add(ref src, i));
            if ((fp & smallMask) == 0) return i + 1;
        }
        for (; i < normal; i++)
        {
            fp = (fp << 1) + Unsafe.Add(ref gear, Unsafe.Add(ref src, i));
            if ((fp & normalMask) == 0) return i + 1;
        }
        for (; i < n; i++)
        {
            fp = (fp << 1) + Unsafe.Add(ref gear, Unsafe.Add(ref src, i));
            if ((fp & largeMask) == 0) return i + 1;
        }
        return n;
    }

    /// <summary>The chunk boundaries of an in-memory input, without hashing. Empty input gives no boundaries.</summary>
    public IReadOnlyList<ChunkBoundary> Cut(ReadOnlySpan<byte> data)
    {
        var result = new List<ChunkBoundary>(EstimateCount(data.Length));
        var offset = 0;
        while (offset < data.Length)
        {
            var length = FindCutPoint(data[offset..]);
            result.Add(new ChunkBoundary(offset, length));
            offset += length;
        }
        return result;
    }

    /// <summary>The chunks of an in-memory input, with their hashes. Empty input gives no chunks.</summary>
    public IReadOnlyList<Chunk> Chunk(ReadOnlySpan<byte> data)
    {
        var result = new List<Chunk>(EstimateCount(data.Length));
        var offset = 0;
        while (offset < data.Length)
        {
            var length = FindCutPoint(data[offset..]);
            result.Add(new Chunk(offset, length, ChunkHash.Compute(data.Slice(offset, length))));
            offset += length;
        }
        return result;
    }

    /// <summary>
    /// Chunks a stream lazily from its current position, holding at most 2 × <see cref="MaxSize"/> bytes (one pooled
    /// buffer) whatever the stream's length. Offsets are relative to where reading started. Cuts are identical to
    /// <see cref="Chunk(ReadOnlySpan{byte})"/> on the same bytes, whatever sizes the stream's reads return.
    /// </summary>
    public IEnumerable<Chunk> Chunk(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return ChunkIterator(stream);
    }

    /// <summary>
    /// Chunks a stream and hands each chunk with its bytes to <paramref name="onChunk"/>, e.g. to upload the chunks
    /// the server is missing in the same pass. The bytes are valid only during the call: the buffer is reused after.
    /// </summary>
    public void Chunk(Stream stream, Action<Chunk, ReadOnlyMemory<byte>> onChunk)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(onChunk);
        using var window = new ChunkWindow(this, stream);
        while (true)
        {
            while (window.NeedsData) window.Advance(stream.Read(window.FreeSpace.Span));
            if (!window.TryCut(out var chunk, out var bytes)) return;
            onChunk(chunk, bytes);
        }
    }

    /// <summary>Async form of <see cref="Chunk(Stream)"/>.</summary>
    public IAsyncEnumerable<Chunk> ChunkAsync(Stream stream, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return ChunkAsyncIterator(stream, cancellationToken);
    }

    /// <summary>
    /// Async form of <see cref="Chunk(Stream, Action{Chunk, ReadOnlyMemory{byte}})"/>: the bytes handed to
    /// <paramref name="onChunk"/> are valid until the task it returns completes.
    /// </summary>
    public async Task ChunkAsync(
        Stream stream,
        Func<Chunk, ReadOnlyMemory<byte>, CancellationToken, ValueTask> onChunk,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(onChunk);
        using var window = new ChunkWindow(this, stream);
        while (true)
        {
            while (window.NeedsData) window.Advance(await stream.ReadAsync(window.FreeSpace, cancellationToken).ConfigureAwait(false));
            if (!window.TryCut(out var chunk, out var bytes)) return;
            await onChunk(chunk, bytes, cancellationToken).ConfigureAwait(false);
        }
    }

    IEnumerable<Chunk> ChunkIterator(Stream stream)
    {
        using var window = new ChunkWindow(this, stream);
        while (true)
        {
            while (window.NeedsData) window.Advance(stream.Read(window.FreeSpace.Span));
            if (!window.TryCut(out var chunk, out _)) yield break;
            yield return chunk;
        }
    }

    async IAsyncEnumerable<Chunk> ChunkAsyncIterator(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var window = new ChunkWindow(this, stream);
        while (true)
        {
            while (window.NeedsData) window.Advance(await stream.ReadAsync(window.FreeSpace, cancellationToken).ConfigureAwait(false));
            if (!window.TryCut(out var chunk, out _)) yield break;
            yield return chunk;
        }
    }

    int EstimateCount(int length) => Math.Min(length / AverageSize + 1, 1 << 16);

    // `ones` one-bits at every other position from bit 63 down: 63, 61, 59, ...
    static ulong SpreadMask(int ones)
    {
        ulong mask = 0;
        for (var k = 0; k < ones; k++) mask |= 1UL << (63 - 2 * k);
        return mask;
    }

    static ulong[] DeriveGearTable()
    {
        var table = new ulong[256];
        Span<byte> digest = stackalloc byte[32];
        for (var i = 0; i < table.Length; i++)
        {
            var input = Encoding.ASCII.GetBytes(GearSeed + i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            SHA256.HashData(input, digest);
            table[i] = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(digest);
        }
        return table;
    }
}
