using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using TinySync.Core.Chunking;

namespace TinySync.Core.Tests.Chunking;

public class FastCdcTests
{
    // ---------------------------------------------------------------------------------------------------------------
    // Pinned vectors. How the constants were produced: the same inputs were chunked by FastCdc and, independently, by
    // reference_fastcdc.py (next to this file: a naive byte-at-a-time Python 3 implementation written from the
    // decision records 0101 and 0102), and the two outputs were compared line by line; only values on which both agree
    // are pinned. Re-pinned once, for decision 0102 (the middle mask step), from both implementations again. To re-derive them:
    //     python3 tests/TinySync.Core.Tests/Chunking/reference_fastcdc.py            (20 MiB, default parameters)
    //     python3 tests/TinySync.Core.Tests/Chunking/reference_fastcdc.py --size 262144 --min 64 --avg 256 --max 1024
    //     python3 tests/TinySync.Core.Tests/Chunking/reference_fastcdc.py --gear
    // If one of these tests fails, the chunker no longer cuts like every other client: that is a wire-breaking change
    // (docs/decisions/0101-fastcdc-parameters.md), not a test to update.
    // ---------------------------------------------------------------------------------------------------------------

    const int PinnedSize = 20 * 1024 * 1024;
    const string PinnedInputSha256 = "867a527556d8194ac303a927d30d50a1b838865ebe381e31f850aad59732bd99";

    static readonly (long Offset, int Length)[] PinnedBoundaries =
    [
        (0, 1125256),
        (1125256, 644931),
        (1770187, 1151840),
        (2922027, 1171327),
        (4093354, 270066),
        (4363420, 1112637),
        (5476057, 905512),
        (6381569, 494846),
        (6876415, 740228),
        (7616643, 927159),
        (8543802, 868739),
        (9412541, 1138562),
        (10551103, 1233663),
        (11784766, 1334923),
        (13119689, 1225933),
        (14345622, 1232004),
        (15577626, 668802),
        (16246428, 1204710),
        (17451138, 1430333),
        (18881471, 1172976),
        (20054447, 917073),
    ];

    const string PinnedFirstChunkSha256 = "eb3957e4b48788dce4fa28b07d544e284f1f045771563e9e25d51ac9920e4fc0";
    const string PinnedLastChunkSha256 = "b2c7e433eb829635d2f13aba69103869549d9dac2e728381ce340d37ac6bc9b9";

    // 256 KiB of the same generator cut with min 64, avg 256, max 1024: 990 chunks, too many to list, so the vector
    // pins the SHA-256 of the boundary list written as "offset length\n" per chunk.
    const int SmallVectorSize = 256 * 1024;
    const string SmallVectorInputSha256 = "6464de52d6f29fd5b36bd2d833b89f39f2432814531e25b26cf820ea3d2b2316";
    const int SmallVectorCount = 990;
    const string SmallVectorBoundariesSha256 = "7368aa3aa261f2ccaafe572e8efbbed4d32ca8d39eb7bffc795b44405d2eca12";
    const string SmallVectorFirstChunkSha256 = "7a590e2a08665a89eefca9c20bab594a5b2885fc36a97d59f88cf8ef35476656";
    const string SmallVectorLastChunkSha256 = "a96f10531effe3a22d20ef026e4802b134a49fddf030ed5a53cad5e88a2c4344";

    static readonly Lazy<byte[]> Pinned = new(() => ChunkingTestData.Xorshift(ChunkingTestData.PinnedSeed, PinnedSize));

    static readonly FastCdc Small = new(64, 256, 1024);

    [Fact]
    public void Boundaries_of_the_pinned_input_never_change()
    {
        var data = Pinned.Value;
        Convert.ToHexStringLower(SHA256.HashData(data)).ShouldBe(PinnedInputSha256, "the test input generator changed");

        var chunks = FastCdc.Default.Chunk(data);

        chunks.Select(c => (c.Offset, c.Length)).ShouldBe(PinnedBoundaries);
        chunks[0].Hash.ShouldBe(PinnedFirstChunkSha256);
        chunks[^1].Hash.ShouldBe(PinnedLastChunkSha256);
    }

    [Fact]
    public void Boundaries_of_the_pinned_input_with_small_parameters_never_change()
    {
        var data = ChunkingTestData.Xorshift(ChunkingTestData.PinnedSeed, SmallVectorSize);
        Convert.ToHexStringLower(SHA256.HashData(data)).ShouldBe(SmallVectorInputSha256);

        var chunks = Small.Chunk(data);

        chunks.Count.ShouldBe(SmallVectorCount);
        var listing = string.Concat(chunks.Select(c => $"{c.Offset} {c.Length}\n"));
        Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(listing))).ShouldBe(SmallVectorBoundariesSha256);
        chunks[0].Hash.ShouldBe(SmallVectorFirstChunkSha256);
        chunks[^1].Hash.ShouldBe(SmallVectorLastChunkSha256);
    }

    [Fact]
    public void Gear_table_is_sha256_of_the_seed_string_and_index()
    {
        FastCdc.Gear.Length.ShouldBe(256);
        for (var i = 0; i < 256; i++)
        {
            var digest = SHA256.HashData(Encoding.ASCII.GetBytes($"tinysync-fastcdc-gear-v1:{i}"));
            FastCdc.Gear[i].ShouldBe(BitConverter.ToUInt64(digest, 0), $"gear[{i}]");
        }
        // from reference_fastcdc.py --gear
        FastCdc.Gear[0].ShouldBe(0x7b95571d5b7897f8UL);
        FastCdc.Gear[1].ShouldBe(0x51851ef13fd7d51dUL);
        FastCdc.Gear[255].ShouldBe(0x5bb047739c3c2d3bUL);
    }

    [Fact]
    public void Default_masks_spread_22_20_and_18_one_bits_over_every_other_bit_from_the_top()
    {
        FastCdc.Default.SmallMask.ShouldBe(0xAAAAAAAAAAA00000UL);
        FastCdc.Default.NormalMask.ShouldBe(0xAAAAAAAAAA000000UL); // from reference_fastcdc.py --gear
        BitOperations.PopCount(FastCdc.Default.NormalMask).ShouldBe(20);
        (FastCdc.Default.NormalMask & ~FastCdc.Default.SmallMask).ShouldBe(0UL);
        (FastCdc.Default.LargeMask & ~FastCdc.Default.NormalMask).ShouldBe(0UL);
        FastCdc.Default.LargeMask.ShouldBe(0xAAAAAAAAA0000000UL);
        BitOperations.PopCount(FastCdc.Default.SmallMask).ShouldBe(22);
        BitOperations.PopCount(FastCdc.Default.LargeMask).ShouldBe(18);
        (FastCdc.Default.LargeMask & ~FastCdc.Default.SmallMask).ShouldBe(0UL);
        Small.SmallMask.ShouldBe(0xAAAAA00000000000UL);
        Small.LargeMask.ShouldBe(0xAAA0000000000000UL);
    }

    [Fact]
    public void Default_parameters_are_256_KiB_1_MiB_and_4_MiB()
    {
        FastCdc.DefaultMinSize.ShouldBe(262_144);
        FastCdc.DefaultAverageSize.ShouldBe(1_048_576);
        FastCdc.DefaultMaxSize.ShouldBe(4_194_304);
        FastCdc.Default.MinSize.ShouldBe(FastCdc.DefaultMinSize);
        FastCdc.Default.AverageSize.ShouldBe(FastCdc.DefaultAverageSize);
        FastCdc.Default.MaxSize.ShouldBe(FastCdc.DefaultMaxSize);
    }

    [Theory]
    [InlineData(0, 256, 1024, "minSize")]
    [InlineData(256, 256, 1024, "minSize")]
    [InlineData(64, 300, 1024, "averageSize")]
    [InlineData(16, 32, 1024, "averageSize")]
    [InlineData(64, 256, 256, "maxSize")]
    [InlineData(64, 256, (1 << 28) + 1, "maxSize")]
    public void Invalid_sizes_are_rejected(int min, int avg, int max, string parameter)
    {
        Should.Throw<ArgumentOutOfRangeException>(() => new FastCdc(min, avg, max)).ParamName.ShouldBe(parameter);
    }

    [Fact]
    public void Chunks_of_the_pinned_input_stay_within_min_and_max_and_concatenate_to_the_input()
    {
        var data = Pinned.Value;
        using var rebuilt = new MemoryStream();
        var chunks = new List<Chunk>();

        FastCdc.Default.Chunk(new MemoryStream(data), (chunk, bytes) =>
        {
            bytes.Length.ShouldBe(chunk.Length);
            ChunkHash.Compute(bytes.Span).ShouldBe(chunk.Hash);
            rebuilt.Write(bytes.Span);
            chunks.Add(chunk);
        });

        rebuilt.ToArray().AsSpan().SequenceEqual(data).ShouldBeTrue();
        AssertWellFormed(chunks, data.Length, FastCdc.Default);
    }

    [Fact]
    public async Task Stream_cuts_match_span_cuts_whatever_the_read_sizes()
    {
        var data = Pinned.Value;
        var expected = FastCdc.Default.Chunk(data);

        var tinyReads = new ShortReadStream(data, seed: 1, maxRead: 4096);
        FastCdc.Default.Chunk(tinyReads).ShouldBe(expected);
        tinyReads.ReadCalls.ShouldBeGreaterThan(5000);

        FastCdc.Default.Chunk(new ShortReadStream(data, seed: 2, maxRead: 3 * 1024 * 1024)).ShouldBe(expected);
        (await ToListAsync(FastCdc.Default.ChunkAsync(new ShortReadStream(data, seed: 3, maxRead: 200_000)))).ShouldBe(expected);

        var viaCallback = new List<Chunk>();
        await FastCdc.Default.ChunkAsync(new ShortReadStream(data, seed: 4, maxRead: 1_000_000), (chunk, bytes, _) =>
        {
            ChunkHash.Compute(bytes.Span).ShouldBe(chunk.Hash);
            viaCallback.Add(chunk);
            return ValueTask.CompletedTask;
        });
        viaCallback.ShouldBe(expected);

        FastCdc.Default.Cut(data).ShouldBe(expected.Select(c => new ChunkBoundary(c.Offset, c.Length)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(70_000)]
    [InlineData(-1)] // one byte short of the data
    [InlineData(-2)] // exactly the data
    public async Task A_seekable_stream_that_outgrows_its_stated_length_is_cut_whole(long stated)
    {
        // The window sizes its first buffer from what a seekable stream says is left (decision 0414); a file that
        // grows while it is read must still be cut to its end, exactly as the span cuts of its bytes.
        var data = Pinned.Value;
        var length = stated switch { -1 => data.Length - 1, -2 => data.Length, _ => stated };
        var expected = FastCdc.Default.Chunk(data);

        FastCdc.Default.Chunk(new StatedLengthStream(data, length)).ShouldBe(expected);
        (await ToListAsync(FastCdc.Default.ChunkAsync(new StatedLengthStream(data, length)))).ShouldBe(expected);
        var viaCallback = new List<Chunk>();
        FastCdc.Default.Chunk(new StatedLengthStream(data, length), (chunk, bytes) =>
        {
            ChunkHash.Compute(bytes.Span).ShouldBe(chunk.Hash);
            viaCallback.Add(chunk);
        });
        viaCallback.ShouldBe(expected);
    }

    [Fact]
    public void Stream_and_span_cuts_agree_and_are_well_formed_for_any_input_with_small_parameters()
    {
        // kind 0: random bytes; 1: low entropy (4 distinct bytes); 2: runs of zeros between random bytes
        var inputs = Gen.Choose(0, 12_000).SelectMany(
            length => Gen.Choose(0, 2),
            (length, kind) => (length, kind));
        var cases = inputs.SelectMany(
            x => Gen.Choose(1, int.MaxValue),
            (x, seed) => (x.length, x.kind, seed));

        Prop.ForAll(Arb.From(cases), c =>
        {
            var data = MakeInput(c.length, c.kind, (ulong)c.seed);
            var expected = Small.Chunk(data);
            AssertWellFormed(expected, data.Length, Small);
            Concatenate(data, expected).SequenceEqual(data).ShouldBeTrue();
            Small.Chunk(new ShortReadStream(data, (ulong)c.seed, maxRead: 1 + c.seed % 3000)).ShouldBe(expected);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Inserting_1_MiB_in_the_middle_of_64_MiB_changes_at_most_3_chunk_hashes()
    {
        const int size = 64 * 1024 * 1024;
        const int insertAt = size / 2 + 12345;
        var original = ChunkingTestData.Xorshift(0x5EED_0001, size);
        var inserted = ChunkingTestData.Xorshift(0x5EED_0002, 1024 * 1024);
        var edited = new byte[size + inserted.Length];
        original.AsSpan(0, insertAt).CopyTo(edited);
        inserted.CopyTo(edited.AsSpan(insertAt));
        original.AsSpan(insertAt).CopyTo(edited.AsSpan(insertAt + inserted.Length));

        var before = FastCdc.Default.Chunk(original).Select(c => c.Hash).ToHashSet(StringComparer.Ordinal);
        var after = FastCdc.Default.Chunk(edited);

        after.Count(c => !before.Contains(c.Hash)).ShouldBeInRange(1, 3);
    }

    [Fact]
    public void All_zero_input_has_no_content_defined_cut_points_and_is_cut_at_max_size()
    {
        var data = new byte[3 * FastCdc.DefaultMaxSize + 1000];

        var chunks = FastCdc.Default.Cut(data);

        chunks.Select(c => c.Length).ShouldBe([FastCdc.DefaultMaxSize, FastCdc.DefaultMaxSize, FastCdc.DefaultMaxSize, 1000]);
    }

    [Fact]
    public async Task Empty_input_yields_no_chunks()
    {
        FastCdc.Default.Chunk(ReadOnlySpan<byte>.Empty).ShouldBeEmpty();
        FastCdc.Default.Cut(ReadOnlySpan<byte>.Empty).ShouldBeEmpty();
        FastCdc.Default.Chunk(new MemoryStream()).ShouldBeEmpty();
        (await ToListAsync(FastCdc.Default.ChunkAsync(new MemoryStream()))).ShouldBeEmpty();
        FastCdc.Default.FindCutPoint(ReadOnlySpan<byte>.Empty).ShouldBe(0);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(100_000)]
    [InlineData(FastCdc.DefaultMinSize)]
    public void Input_no_longer_than_the_minimum_is_one_chunk(int size)
    {
        var data = ChunkingTestData.Xorshift(7, size);

        var chunks = FastCdc.Default.Chunk(new MemoryStream(data)).ToList();

        chunks.ShouldBe([new Chunk(0, size, ChunkHash.Compute(data))]);
    }

    [Fact]
    public void Stream_offsets_count_from_where_reading_started()
    {
        var data = ChunkingTestData.Xorshift(11, 10_000);
        using var stream = new MemoryStream(data) { Position = 1000 };

        var chunks = Small.Chunk(stream).ToList();

        chunks.ShouldBe(Small.Chunk(data.AsSpan(1000)));
        chunks[0].Offset.ShouldBe(0);
    }

    [Fact]
    public async Task Async_chunking_stops_when_cancelled()
    {
        using var cts = new CancellationTokenSource();
        var stream = new ShortReadStream(Pinned.Value, seed: 5, maxRead: 100_000);
        var seen = 0;

        await Should.ThrowAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in FastCdc.Default.ChunkAsync(stream, cts.Token))
            {
                if (++seen == 2) await cts.CancelAsync();
            }
        });
        seen.ShouldBe(2);
    }

    static void AssertWellFormed(IReadOnlyList<Chunk> chunks, long inputLength, FastCdc cdc)
    {
        long expectedOffset = 0;
        for (var i = 0; i < chunks.Count; i++)
        {
            chunks[i].Offset.ShouldBe(expectedOffset);
            chunks[i].Length.ShouldBeLessThanOrEqualTo(cdc.MaxSize);
            if (i < chunks.Count - 1) chunks[i].Length.ShouldBeGreaterThanOrEqualTo(cdc.MinSize);
            else chunks[i].Length.ShouldBeGreaterThan(0);
            ChunkHash.IsValid(chunks[i].Hash).ShouldBeTrue();
            expectedOffset += chunks[i].Length;
        }
        expectedOffset.ShouldBe(inputLength);
    }

    static byte[] Concatenate(byte[] data, IReadOnlyList<Chunk> chunks) =>
        [.. chunks.SelectMany(c => data.AsSpan((int)c.Offset, c.Length).ToArray())];

    static byte[] MakeInput(int length, int kind, ulong seed)
    {
        var data = ChunkingTestData.Xorshift(seed, length);
        switch (kind)
        {
            case 1:
                for (var i = 0; i < data.Length; i++) data[i] &= 0x03;
                break;
            case 2:
                for (var i = 0; i < data.Length; i++) if (data[i] < 0xF0) data[i] = 0;
                break;
        }
        return data;
    }

    static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> source)
    {
        var list = new List<T>();
        await foreach (var item in source) list.Add(item);
        return list;
    }
}
