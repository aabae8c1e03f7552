using System.Buffers;

namespace TinySync.Core.Chunking;

/// <summary>
/// The sliding buffer behind the stream APIs of <see cref="FastCdc"/>: one pooled array of 2 × max bytes. Before each
/// cut it holds at least max bytes from the chunk start (or everything up to end of stream), which is all a cut
/// depends on, so the cuts do not depend on how the stream's reads are sized. A seekable stream with less than that
/// left starts with a buffer one byte longer than what is left (a 7-byte file does not take an 8 MiB array, which the
/// shared pool would then keep per thread: decision 0414); should the stream hold more after all, the buffer grows.
/// </summary>
sealed class ChunkWindow : IDisposable
{
    readonly FastCdc _cdc;
    byte[]? _buffer;
    int _start;   // first byte of the next chunk
    int _end;     // one past the last byte read
    bool _eof;
    long _offset; // stream offset of _start

    public ChunkWindow(FastCdc cdc, Stream stream)
    {
        _cdc = cdc;
        var full = 2 * cdc.MaxSize;
        var left = stream.CanSeek ? stream.Length - stream.Position : -1;
        _buffer = ArrayPool<byte>.Shared.Rent(left >= 0 && left < full ? (int)left + 1 : full);
    }

    byte[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(ChunkWindow));

    /// <summary>True while the stream may hold more bytes and fewer than max are buffered.</summary>
    public bool NeedsData => !_eof && _end - _start < _cdc.MaxSize;

    /// <summary>Where the next read goes: all free space after the buffered bytes, which is at least max - buffered.</summary>
    public Memory<byte> FreeSpace
    {
        get
        {
            var buffer = Buffer;
            // Slide the unconsumed tail to the front only when the room left could not take max bytes; with a
            // 2 × max buffer that is at most once per max bytes consumed, a memmove of under max bytes.
            if (buffer.Length - _start < _cdc.MaxSize)
            {
                buffer.AsSpan(_start, _end - _start).CopyTo(buffer);
                _end -= _start;
                _start = 0;
            }
            if (_end == buffer.Length)
            {
                // a short first buffer that the stream outgrew (only a full-size one always has room after the slide)
                var grown = ArrayPool<byte>.Shared.Rent(2 * _cdc.MaxSize);
                buffer.AsSpan(0, _end).CopyTo(grown);
                _buffer = grown;
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = grown;
            }
            return buffer.AsMemory(_end);
        }
    }

    /// <summary>Records a read of <paramref name="count"/> bytes into <see cref="FreeSpace"/>; 0 means end of stream.</summary>
    public void Advance(int count)
    {
        if (count < 0 || count > Buffer.Length - _end)
        {
            throw new InvalidOperationException($"the stream reported reading {count} bytes into a {Buffer.Length - _end}-byte buffer");
        }
        if (count == 0) _eof = true;
        else _end += count;
    }

    /// <summary>Cuts and hashes the next chunk; false at end of input. The bytes are valid until the next call.</summary>
    public bool TryCut(out Chunk chunk, out ReadOnlyMemory<byte> bytes)
    {
        if (_start == _end)
        {
            chunk = default;
            bytes = default;
            return false;
        }
        var buffer = Buffer;
        var length = _cdc.FindCutPoint(buffer.AsSpan(_start, _end - _start));
        bytes = buffer.AsMemory(_start, length);
        chunk = new Chunk(_offset, length, ChunkHash.Compute(bytes.Span));
        _start += length;
        _offset += length;
        return true;
    }

    public void Dispose()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
