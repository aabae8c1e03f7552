using System.Buffers.Binary;
using TinySync.Core.Chunking;

namespace TinySync.Core.Tests.Chunking;

public class ChunkFramesTests
{
    static byte[] Frames(params byte[][] chunks)
    {
        var body = new byte[chunks.Sum(c => ChunkFrames.FrameLength(c.Length))];
        var at = 0;
        foreach (var c in chunks) at += ChunkFrames.Write(body.AsSpan(at), ChunkHash.Compute(c), c);
        return body;
    }

    [Fact]
    public void Frames_round_trip_with_a_binary_digest_and_a_big_endian_length()
    {
        var body = Frames([1, 2, 3], []);
        body.Length.ShouldBe(2 * ChunkFrames.HeaderLength + 3);
        Convert.ToHexStringLower(body.AsSpan(0, 32)).ShouldBe(ChunkHash.Compute([1, 2, 3]));
        BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(32, 4)).ShouldBe(3u);
        ChunkFrames.TryParse(body, 10, 10, out var frames, out _).ShouldBeTrue();
        frames.Select(f => f.Hash).ShouldBe([ChunkHash.Compute([1, 2, 3]), ChunkHash.Compute([])]);
        frames[0].Content.ToArray().ShouldBe(new byte[] { 1, 2, 3 });
        frames[1].Content.Length.ShouldBe(0);
        ChunkFrames.TryParse(Array.Empty<byte>(), 10, 10, out var none, out _).ShouldBeTrue("an empty body is zero frames");
        none.ShouldBeEmpty();
    }

    [Fact]
    public void Bodies_that_do_not_split_into_whole_frames_within_the_limits_are_refused()
    {
        var body = Frames([1, 2, 3], []);
        ChunkFrames.TryParse(body, 2, 10, out _, out var tooBig).ShouldBeFalse();
        tooBig.Kind.ShouldBe(ChunkFrames.FrameErrorKind.ChunkTooLarge);
        ChunkFrames.TryParse(body, 10, 1, out _, out var tooMany).ShouldBeFalse();
        tooMany.Kind.ShouldBe(ChunkFrames.FrameErrorKind.TooManyFrames);
        ChunkFrames.TryParse(body[..^1], 10, 10, out _, out var cut).ShouldBeFalse();
        cut.Kind.ShouldBe(ChunkFrames.FrameErrorKind.Malformed);
        ChunkFrames.TryParse(body[..5], 10, 10, out _, out var header).ShouldBeFalse();
        header.Kind.ShouldBe(ChunkFrames.FrameErrorKind.Malformed);
        cut.Index.ShouldBe(1);
    }
}
