using Shouldly;
using TinySync.Core.Chunking;
using Xunit;

namespace TinySync.Core.Tests.Chunking;

/// <summary>
/// How many chunks an insert costs: after the inserted bytes the chunker must fall back on the cuts it made before
/// the edit, or every chunk up to that point is uploaded again (decision 0102). Measured over many seeded random
/// offsets, because one offset says little about a distribution.
/// </summary>
public class FastCdcResynchronizationTests
{
    const int MiB = 1024 * 1024;

    /// <summary>The chunks of the edited input that the original input does not have: count and bytes.</summary>
    static (int Chunks, long Bytes) Changed(FastCdc chunker, byte[] original, long[] cuts, byte[] inserted, int at)
    {
        var shifted = new HashSet<long>(cuts);
        // Chunks that end at or before `at` are cut the same in both inputs: start at the last such boundary.
        var i = Array.BinarySearch(cuts, (long)at);
        var start = i >= 0 ? cuts[i] : ~i == 0 ? 0 : cuts[~i - 1];
        var window = new byte[Math.Min(original.Length - start, 32L * MiB) + inserted.Length];
        var head = (int)(at - start);
        original.AsSpan((int)start, head).CopyTo(window);
        inserted.CopyTo(window.AsSpan(head));
        original.AsSpan(at, window.Length - head - inserted.Length).CopyTo(window.AsSpan(head + inserted.Length));
        var rest = original.Length - start + inserted.Length; // bytes left in the edited input from `start`
        int chunks = 0, pos = 0;
        while (pos < window.Length)
        {
            var length = chunker.FindCutPoint(window.AsSpan(pos, (int)Math.Min(window.Length - pos, rest - pos)));
            pos += length;
            chunks++;
            // back on an old cut after the insert: every later chunk is the same as before
            if (pos >= head + inserted.Length && shifted.Contains(start + pos - inserted.Length)) return (chunks, pos);
        }
        throw new InvalidOperationException("the chunker did not resynchronize within 32 MiB");
    }

    static long[] Ends(FastCdc chunker, byte[] data) => chunker.Cut(data).Select(b => b.Offset + b.Length).ToArray();

    [Fact]
    public void A_1_MiB_insert_at_64_random_offsets_costs_at_most_6_chunks_each_and_under_3_2_MB_on_average()
    {
        var original = ChunkingTestData.Xorshift(0x5EED_0101, 48 * MiB);
        var inserted = ChunkingTestData.Xorshift(0x5EED_0102, MiB);
        var cuts = Ends(FastCdc.Default, original);
        var random = new Random(0x0102);
        var results = Enumerable.Range(0, 64)
            .Select(_ => Changed(FastCdc.Default, original, cuts, inserted, random.Next(MiB, original.Length - 33 * MiB)))
            .ToList();

        // Simulated over 300 offsets (decision 0102): 0101's rule 3.35 chunks / 3.55 MB on average, 10 chunks at the
        // 99th percentile; with 0102 3.05 / 2.94 MB, 6 at the 99th. This input: mean 3.05 chunks, 3.06 MB, max 6.
        results.Max(r => r.Chunks).ShouldBeLessThanOrEqualTo(6);
        results.Average(r => r.Bytes).ShouldBeLessThan(3.2e6);
        results.Min(r => r.Bytes).ShouldBeGreaterThanOrEqualTo(MiB); // the inserted bytes themselves are always new
    }

    [Fact]
    public void Inserting_at_a_chunk_boundary_or_at_the_start_still_resynchronizes_within_6_chunks()
    {
        var original = ChunkingTestData.Xorshift(0x5EED_0103, 24 * MiB);
        var inserted = ChunkingTestData.Xorshift(0x5EED_0104, MiB);
        var cuts = Ends(FastCdc.Default, original);
        foreach (var at in new[] { 0, (int)cuts[3], (int)cuts[7] + 1 })
            Changed(FastCdc.Default, original, cuts, inserted, at).Chunks.ShouldBeLessThanOrEqualTo(6, $"insert at {at}");
    }
}
