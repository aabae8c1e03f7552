namespace TinySync.Server.Blobs;

/// <summary>
/// Physical storage of content chunks, addressed by lowercase hex SHA-256. A chunk is stored once, whatever number
/// of vaults register it; which vault may see which chunk is the database's business (chunk registrations), never
/// this store's. Implementations: local content-addressed files (the default) and S3-compatible object storage.
/// Every implementation verifies content against its hash on write and on read: it never returns corrupted bytes.
/// </summary>
public interface IChunkStore
{
    /// <summary>Short name for logs: <c>local</c> or <c>s3</c>.</summary>
    string Name { get; }

    /// <summary>True when the chunk is stored.</summary>
    Task<bool> ExistsAsync(string hash, CancellationToken ct);

    /// <summary>
    /// Stores <paramref name="content"/> under <paramref name="hash"/> atomically (a reader never sees a partial
    /// chunk). The caller has already verified the hash. Storing an existing chunk is a no-op.
    /// </summary>
    Task PutAsync(string hash, ReadOnlyMemory<byte> content, CancellationToken ct);

    /// <summary>
    /// Stores many chunks with one durability barrier for all of them: when the task completes, every chunk is
    /// stored atomically and durably, exactly as if <see cref="PutAsync"/> had been called for each (the caller has
    /// verified every hash; existing chunks are skipped). On failure some chunks may be stored and others not —
    /// each one whole or absent, never partial.
    /// </summary>
    Task PutManyAsync(IReadOnlyList<(string Hash, ReadOnlyMemory<byte> Content)> chunks, CancellationToken ct);

    /// <summary>
    /// Starts storing a chunk while its bytes are still arriving (decision 0312): the caller writes each block as it
    /// receives it, verifies the whole against <paramref name="hash"/>, and only then calls
    /// <see cref="IChunkUpload.CompleteAsync"/>, which makes the chunk durable and visible exactly as
    /// <see cref="PutAsync"/> would. Disposing an upload that was not completed leaves no trace. Null when the store
    /// cannot stream a write (the caller then hands the whole chunk to <see cref="PutAsync"/>) or already holds the
    /// chunk.
    /// </summary>
    IChunkUpload? BeginUpload(string hash) => null;

    /// <summary>
    /// Reads a whole chunk, verified against its hash; null when absent. Throws <see cref="ChunkCorruptedException"/>
    /// when the stored bytes do not match (the chunk is never served).
    /// </summary>
    Task<byte[]?> GetAsync(string hash, CancellationToken ct);

    /// <summary>
    /// Opens a stored chunk for streaming, NOT verified: the caller hashes what it reads and must treat a mismatch as
    /// <see cref="ChunkCorruptedException"/> would be treated (never hand the bytes on as good). Null when absent.
    /// The default reads the whole chunk through <see cref="GetAsync"/> (verified, then verified again by the caller);
    /// stores that can stream override it.
    /// </summary>
    async Task<Stream?> OpenReadAsync(string hash, CancellationToken ct) =>
        await GetAsync(hash, ct).ConfigureAwait(false) is { } data ? new MemoryStream(data, writable: false) : null;

    /// <summary>Deletes a chunk (garbage collection); absent is success.</summary>
    Task DeleteAsync(string hash, CancellationToken ct);

    /// <summary>
    /// Moves a chunk whose stored bytes failed verification out of the way (kept for the operator under a
    /// <c>quarantine/</c> name, never served), so the next upload of the chunk stores a good copy instead of being
    /// skipped as "already stored". Absent is success.
    /// </summary>
    Task QuarantineAsync(string hash, CancellationToken ct);

    /// <summary>
    /// Readiness probe: writes and removes a small object outside the chunk names (<c>/readyz</c>); throws when the
    /// store cannot be written.
    /// </summary>
    Task ProbeWriteAsync(CancellationToken ct);
}

/// <summary>
/// A chunk being written as it arrives (<see cref="IChunkStore.BeginUpload"/>). Nothing is visible to readers until
/// <see cref="CompleteAsync"/> returns; disposing without completing removes what was written.
/// </summary>
public interface IChunkUpload : IAsyncDisposable
{
    /// <summary>Appends the next block of the chunk (not yet durable, not yet visible).</summary>
    void Write(ReadOnlySpan<byte> block);

    /// <summary>
    /// The caller has verified the bytes written against the hash: makes the chunk durable and visible under its
    /// hash (atomically: a reader sees the whole chunk or none). When it returns, the chunk survives a crash.
    /// </summary>
    Task CompleteAsync(CancellationToken ct);
}

/// <summary>Stored bytes did not match their address: storage corruption, never served to a client.</summary>
public sealed class ChunkCorruptedException(string hash) : Exception($"stored chunk {hash} does not match its hash")
{
    /// <summary>The chunk's address.</summary>
    public string Hash { get; } = hash;
}
