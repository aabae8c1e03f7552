namespace TinySync.Core.Chunking;

/// <summary>
/// One content-defined chunk of a file or buffer: where it sits in the input and its content address.
/// </summary>
/// <param name="Offset">Byte offset of the chunk's first byte in the input.</param>
/// <param name="Length">Length of the chunk in bytes; never 0.</param>
/// <param name="Hash">The chunk's content address: SHA-256 of its bytes, 64 lowercase hex characters (see <see cref="ChunkHash"/>).</param>
public readonly record struct Chunk(long Offset, int Length, string Hash)
{
    /// <summary>Offset just past the chunk's last byte.</summary>
    public long End => Offset + Length;
}

/// <summary>A chunk boundary without a hash, as found by <see cref="FastCdc.Cut(ReadOnlySpan{byte})"/>.</summary>
/// <param name="Offset">Byte offset of the chunk's first byte in the input.</param>
/// <param name="Length">Length of the chunk in bytes; never 0.</param>
public readonly record struct ChunkBoundary(long Offset, int Length)
{
    /// <summary>Offset just past the chunk's last byte.</summary>
    public long End => Offset + Length;
}
