using System.Buffers;

namespace TinySync.Client.Api;

/// <summary>
/// Chunks downloaded into one buffer rented from <see cref="ArrayPool{T}.Shared"/>: the slices are valid until
/// <see cref="Dispose"/> returns the buffer. A download of 1 GB into fresh arrays allocated ~1,000 large-object-heap
/// arrays and cost the receiving client hundreds of full collections (decision 0417). Bytes are NOT verified here.
/// </summary>
public sealed class RentedChunks : IDisposable
{
    byte[]? _rented;

    /// <summary>Wraps <paramref name="chunks"/>, slices of <paramref name="rented"/> (null: nothing to return).</summary>
    public RentedChunks(byte[]? rented, IReadOnlyList<(string Hash, ReadOnlyMemory<byte> Bytes)> chunks)
    {
        _rented = rented;
        Chunks = chunks;
    }

    /// <summary>The chunks, in the order the server sent them.</summary>
    public IReadOnlyList<(string Hash, ReadOnlyMemory<byte> Bytes)> Chunks { get; }

    /// <summary>Returns the buffer to the pool: the slices must not be read afterwards.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _rented, null) is { } buffer) ArrayPool<byte>.Shared.Return(buffer);
    }
}
