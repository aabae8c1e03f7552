using System.Buffers.Binary;

namespace TinySync.Core.Tests.Chunking;

/// <summary>
/// Deterministic test inputs. xorshift64 (Marsaglia: x ^= x &lt;&lt; 13; x ^= x &gt;&gt; 7; x ^= x &lt;&lt; 17), each new
/// state written as 8 bytes little-endian, truncated to the size asked. Written out here, not System.Random, so the
/// bytes (and the pinned boundaries) cannot change with the runtime; reference_fastcdc.py generates the same bytes.
/// </summary>
static class ChunkingTestData
{
    /// <summary>Seed of the pinned vectors (the 64-bit golden ratio constant).</summary>
    public const ulong PinnedSeed = 0x9E3779B97F4A7C15;

    public static byte[] Xorshift(ulong seed, int size)
    {
        var data = new byte[size];
        Fill(seed, data);
        return data;
    }

    public static void Fill(ulong seed, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfZero(seed); // xorshift never leaves 0
        var x = seed;
        Span<byte> word = stackalloc byte[8];
        var i = 0;
        for (; i + 8 <= destination.Length; i += 8)
        {
            x = Next(x);
            BinaryPrimitives.WriteUInt64LittleEndian(destination[i..], x);
        }
        if (i < destination.Length)
        {
            x = Next(x);
            BinaryPrimitives.WriteUInt64LittleEndian(word, x);
            word[..(destination.Length - i)].CopyTo(destination[i..]);
        }
    }

    public static ulong Next(ulong x)
    {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        return x;
    }
}

/// <summary>
/// A read-only stream over a byte array whose reads return a pseudo-random number of bytes between 1 and
/// <c>maxRead</c> (never more than asked), like a socket or a slow disk would.
/// </summary>
sealed class ShortReadStream(byte[] data, ulong seed, int maxRead) : Stream
{
    int _position;
    ulong _state = seed == 0 ? 1 : seed;

    public int ReadCalls { get; private set; }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        ReadCalls++;
        _state = ChunkingTestData.Next(_state);
        var size = (int)(_state % (ulong)maxRead) + 1;
        var n = Math.Min(Math.Min(size, buffer.Length), data.Length - _position);
        data.AsSpan(_position, n).CopyTo(buffer);
        _position += n;
        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Read(buffer.Span));
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>A seekable stream over <paramref name="data"/> whose <see cref="Length"/> says <paramref name="stated"/> (a file growing while it is read).</summary>
sealed class StatedLengthStream(byte[] data, long stated) : Stream
{
    int _position;

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => stated;
    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = Math.Min(buffer.Length, data.Length - _position);
        data.AsSpan(_position, n).CopyTo(buffer);
        _position += n;
        return n;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
