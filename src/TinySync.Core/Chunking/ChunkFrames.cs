using System.Buffers.Binary;

namespace TinySync.Core.Chunking;

/// <summary>
/// The framing of many chunks in one HTTP body (<c>POST /v1/vaults/{vid}/chunks/batch</c> upload and
/// <c>POST /v1/vaults/{vid}/chunks/fetch</c> download, media type <see cref="MediaType"/>): frames back to back, each
/// <c>[32-byte SHA-256 digest][4-byte big-endian length][length bytes]</c>. Nothing else: no header, no trailer, so a
/// body is valid exactly when it splits into whole frames. The digest is the chunk's address in binary; the receiver
/// hashes the bytes and compares (the sender's claim is never trusted).
/// </summary>
public static class ChunkFrames
{
    /// <summary>Media type of a framed body.</summary>
    public const string MediaType = "application/vnd.tinysync.chunks";

    /// <summary>Bytes before a frame's content: digest and length.</summary>
    public const int HeaderLength = ChunkHash.ByteLength + 4;

    /// <summary>Bytes a frame of <paramref name="contentLength"/> bytes takes.</summary>
    public static int FrameLength(int contentLength) => HeaderLength + contentLength;

    /// <summary>Writes one frame at the start of <paramref name="destination"/>; returns the bytes written.</summary>
    /// <exception cref="ArgumentException">When the hash is not a chunk hash or the destination is too small.</exception>
    public static int Write(Span<byte> destination, string hash, ReadOnlySpan<byte> content)
    {
        if (!ChunkHash.IsValid(hash)) throw new ArgumentException("not a chunk hash", nameof(hash));
        if (destination.Length < FrameLength(content.Length)) throw new ArgumentException("destination too small", nameof(destination));
        WriteHeader(destination, hash, content.Length);
        content.CopyTo(destination[HeaderLength..]);
        return FrameLength(content.Length);
    }

    /// <summary>Writes a frame header (digest and length) into the first <see cref="HeaderLength"/> bytes.</summary>
    public static void WriteHeader(Span<byte> destination, string hash, int contentLength)
    {
        if (!ChunkHash.IsValid(hash)) throw new ArgumentException("not a chunk hash", nameof(hash));
        ArgumentOutOfRangeException.ThrowIfNegative(contentLength);
        Convert.FromHexString(hash, destination[..ChunkHash.ByteLength], out _, out _);
        BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(ChunkHash.ByteLength, 4), (uint)contentLength);
    }

    /// <summary>
    /// Splits a whole body into frames. Returns false with a reason (for a 400 answer) when the body does not split
    /// into whole frames, a frame is longer than <paramref name="maxChunkBytes"/>, or there are more than
    /// <paramref name="maxFrames"/> frames. Hashes are not verified here.
    /// </summary>
    public static bool TryParse(ReadOnlyMemory<byte> body, int maxChunkBytes, int maxFrames, out List<Frame> frames, out FrameError error)
    {
        frames = [];
        error = default;
        var span = body.Span;
        var at = 0;
        while (at < span.Length)
        {
            if (frames.Count >= maxFrames)
            {
                error = new FrameError(FrameErrorKind.TooManyFrames, frames.Count, $"more than {maxFrames} chunks in one batch");
                return false;
            }
            if (span.Length - at < HeaderLength)
            {
                error = new FrameError(FrameErrorKind.Malformed, frames.Count, $"frame {frames.Count} at byte {at}: {span.Length - at} bytes left, a frame header is {HeaderLength}");
                return false;
            }
            var length = BinaryPrimitives.ReadUInt32BigEndian(span.Slice(at + ChunkHash.ByteLength, 4));
            if (length > (uint)maxChunkBytes)
            {
                error = new FrameError(FrameErrorKind.ChunkTooLarge, frames.Count, $"frame {frames.Count} declares {length} bytes; a chunk is at most {maxChunkBytes}");
                return false;
            }
            if (span.Length - at - HeaderLength < (int)length)
            {
                error = new FrameError(FrameErrorKind.Malformed, frames.Count,
                    $"frame {frames.Count} at byte {at} declares {length} bytes but only {span.Length - at - HeaderLength} follow");
                return false;
            }
            var hash = ChunkHash.ToHex(span.Slice(at, ChunkHash.ByteLength));
            frames.Add(new Frame(hash, body.Slice(at + HeaderLength, (int)length)));
            at += HeaderLength + (int)length;
        }
        return true;
    }

    /// <summary>One chunk of a framed body.</summary>
    /// <param name="Hash">The address the sender claims, lowercase hex.</param>
    /// <param name="Content">The bytes (a slice of the body).</param>
    public readonly record struct Frame(string Hash, ReadOnlyMemory<byte> Content);

    /// <summary>Why a body is not a valid framed batch.</summary>
    /// <param name="Kind">What is wrong.</param>
    /// <param name="Index">The frame at fault (0-based).</param>
    /// <param name="Detail">A sentence for the problem's detail.</param>
    public readonly record struct FrameError(FrameErrorKind Kind, int Index, string Detail);

    /// <summary>Kinds of framing error.</summary>
    public enum FrameErrorKind
    {
        /// <summary>The body does not split into whole frames.</summary>
        Malformed,
        /// <summary>A frame is longer than the chunker's maximum.</summary>
        ChunkTooLarge,
        /// <summary>More frames than allowed.</summary>
        TooManyFrames,
    }
}
