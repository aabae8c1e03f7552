using System.Buffers;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http.Features;
using TinySync.Core.Chunking;
using TinySync.Core.Contracts;
using TinySync.Server.Auth;
using TinySync.Server.Blobs;
using TinySync.Server.Http;
using TinySync.Server.Observability;
using TinySync.Server.Storage;

namespace TinySync.Server.Apis;

/// <summary>
/// Content chunks of a vault (docs/protocol.md#chunks): probe, upload (hash verified), download. Chunks are stored once physically
/// but registered per vault, and every route answers only for the vault in the URL: a device can neither read nor
/// probe a chunk that only other vaults hold.
/// </summary>
public static class ChunksApi
{
    /// <summary>Most hashes in one <c>chunks/missing</c> request.</summary>
    public const int MaxProbeHashes = 10_000;

    /// <summary>Largest chunk: the chunker's maximum (every client cuts with the same parameters).</summary>
    public const int MaxChunkBytes = FastCdc.DefaultMaxSize;

    /// <summary>Maps the routes.</summary>
    public static IEndpointRouteBuilder MapChunksApi(this IEndpointRouteBuilder app)
    {
        var chunks = app.MapGroup("/v1/vaults/{vid}/chunks").RequireDevice().RequireVaultAccess().WithTags("Chunks");
        chunks.MapPost("/missing", Missing).WithName("findMissingChunks").WithSummary("Ask which of these chunks the vault does not hold yet").Accepts<MissingChunksRequest>("application/json").Produces<MissingChunksResponse>();
        chunks.MapPut("/{hash}", Upload).WithName("uploadChunk").WithSummary("Upload one chunk (body hashed and verified against its address)").Accepts<byte[]>("application/octet-stream").Produces(StatusCodes.Status201Created).Produces(StatusCodes.Status200OK);
        chunks.MapGet("/{hash}", Download).WithName("downloadChunk").WithSummary("Download one chunk (verified while it is sent)").Produces<byte[]>(StatusCodes.Status200OK, "application/octet-stream");
        return app;
    }

    static async Task<IResult> Missing(HttpContext http, IStore store, CancellationToken ct)
    {
        // 10,000 hashes of 66 JSON bytes each, plus room.
        var (body, problem) = await JsonBody.ReadAsync<MissingChunksRequest>(http, ct, maxBytes: 1024 * 1024);
        if (problem is not null) return problem;
        if (body!.Hashes.Count > MaxProbeHashes)
            return Problems.BadRequest(ProblemCodes.TooManyHashes, $"{body.Hashes.Count} hashes; ask about at most {MaxProbeHashes} per request");
        for (var i = 0; i < body.Hashes.Count; i++)
        {
            if (!ChunkHash.IsValid(body.Hashes[i]))
                return Problems.BadRequest(ProblemCodes.InvalidHash, $"hashes[{i}] is not a chunk hash: 64 lowercase hex characters of SHA-256");
        }
        return TypedResults.Ok(new MissingChunksResponse(await store.FindMissingChunksAsync(http.VaultId(), body.Hashes, ct)));
    }

    static async Task<IResult> Upload(string hash, HttpContext http, IStore store, IChunkStore blobs, TimeProvider clock, ServerMetrics metrics, CancellationToken ct)
    {
        if (!ChunkHash.IsValid(hash)) return InvalidHash(hash);
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = MaxChunkBytes;
        if (http.Request.ContentLength > MaxChunkBytes) return TooLarge();
        // One pass over the body: each block is hashed as it arrives (while the client is still sending the next),
        // into a pooled buffer instead of a fresh 4 MiB array per request (decision 0310), and written to the chunk
        // store's temporary file at once (decision 0312); the chunk becomes durable and visible only once its hash
        // has been verified. The buffer stays: the registration may need the bytes again (see RegisterChunkAsync).
        var upload = blobs.BeginUpload(hash);
        var buffer = ArrayPool<byte>.Shared.Rent(MaxChunkBytes);
        try
        {
            int length;
            byte[] digest;
            using (var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                try
                {
                    length = await ReadBodyAsync(http.Request, buffer, sha, upload, ct);
                }
                catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
                {
                    return TooLarge();
                }
                catch (EndOfStreamException)
                {
                    return Problems.BadRequest(ProblemCodes.InvalidArgument, "the body ended before Content-Length bytes; upload the chunk again");
                }
                if (length > MaxChunkBytes) return TooLarge();
                digest = sha.GetHashAndReset();
            }
            var actual = ChunkHash.ToHex(digest);
            if (!string.Equals(actual, hash, StringComparison.Ordinal))
            {
                return Problems.BadRequest(ProblemCodes.ChunkHashMismatch,
                    $"the body ({length} bytes) hashes to {actual}, not {hash}; nothing was stored, upload the chunk again");
            }
            if (upload is not null) await upload.CompleteAsync(ct); // durable before it is registered
            var created = await store.RegisterChunkAsync(http.VaultId(), http.Device().DeviceId, hash, buffer.AsMemory(0, length), blobs, clock.GetUtcNow(), ct);
            metrics.ChunkBytesIn(length);
            return created ? TypedResults.StatusCode(StatusCodes.Status201Created) : TypedResults.Ok();
        }
        finally
        {
            if (upload is not null) await upload.DisposeAsync(); // removes the temporary file unless completed
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Bytes a download reads, hashes and sends at a time.</summary>
    const int DownloadBlock = 256 * 1024;

    static async Task<IResult> Download(string hash, HttpContext http, IStore store, IChunkStore blobs, ServerMetrics metrics, ILogger<ChunkRoutes> log, CancellationToken ct)
    {
        if (!ChunkHash.IsValid(hash)) return InvalidHash(hash);
        var vaultId = http.VaultId();
        if (!await store.HoldsChunkAsync(vaultId, hash, ct))
            return Problems.NotFound(ProblemCodes.ChunkNotFound, $"this vault holds no chunk {hash}; upload it first");
        Stream? stream;
        try
        {
            stream = await blobs.OpenReadAsync(hash, ct);
        }
        catch (ChunkCorruptedException)
        {
            return await QuarantinedAsync(blobs, hash, log);
        }
        if (stream is null) return Unavailable(hash);
        await using (stream)
        {
            // Verify while streaming (decision 0310): blocks are hashed as they are sent, and the last block is held
            // back until the whole chunk has hashed to its address. A damaged chunk of one block is answered with
            // a 500 problem, never with its bytes; a longer one has its response aborted before the last block,
            // so the client receives fewer bytes than Content-Length announced and can never take it as complete.
            var length = stream.Length;
            if (length > MaxChunkBytes) return await QuarantinedAsync(blobs, hash, log); // no chunk is longer: the file is not what was stored
            var buffer = ArrayPool<byte>.Shared.Rent(DownloadBlock);
            try
            {
                using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                long sent = 0;
                var started = false;
                while (true)
                {
                    var want = (int)Math.Min(DownloadBlock, length - sent);
                    var got = want == 0 ? 0 : await ReadBlockAsync(stream, buffer.AsMemory(0, want), ct);
                    sha.AppendData(buffer, 0, got);
                    var last = got < want || sent + got == length;
                    if (last)
                    {
                        // Bytes beyond the announced length also mean the file changed under us.
                        var extra = got == want && await stream.ReadAsync(new byte[1], ct) > 0;
                        if (got < want || extra || !string.Equals(ChunkHash.ToHex(sha.GetHashAndReset()), hash, StringComparison.Ordinal))
                        {
                            if (!started) return await QuarantinedAsync(blobs, hash, log);
                            Log.ChunkCorruptedMidResponse(log, hash, sent);
                            await QuarantinedAsync(blobs, hash, log); // before the client learns of the failure
                            http.Abort();
                            return Results.Empty;
                        }
                    }
                    if (!started)
                    {
                        started = true;
                        http.Response.StatusCode = StatusCodes.Status200OK;
                        http.Response.ContentType = "application/octet-stream";
                        http.Response.ContentLength = length;
                    }
                    if (got > 0) await http.Response.Body.WriteAsync(buffer.AsMemory(0, got), ct);
                    sent += got;
                    if (last)
                    {
                        metrics.ChunkBytesOut(sent);
                        return Results.Empty;
                    }
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    static async Task<int> ReadBlockAsync(Stream stream, Memory<byte> block, CancellationToken ct)
    {
        var filled = 0;
        while (filled < block.Length)
        {
            var n = await stream.ReadAsync(block[filled..], ct);
            if (n == 0) break;
            filled += n;
        }
        return filled;
    }

    /// <summary>
    /// A stored chunk failed verification: it is moved aside (never served, kept for the operator), so that the next
    /// upload of the same bytes by any device that still has them stores a good copy again.
    /// </summary>
    internal static async Task<IResult> QuarantinedAsync(IChunkStore blobs, string hash, ILogger log)
    {
        try
        {
            await blobs.QuarantineAsync(hash, CancellationToken.None);
            Log.ChunkQuarantined(log, hash);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ChunkStoreUnavailableException)
        {
            Log.ChunkQuarantineFailed(log, hash, e.Message);
        }
        return Corrupted(hash);
    }

    static IResult Corrupted(string hash) =>
        Problems.Of(StatusCodes.Status500InternalServerError, ProblemCodes.ChunkCorrupted,
            $"the stored copy of chunk {hash} is damaged and will not be served; it was moved to the chunk store's quarantine. A device that still has the file can upload the chunk again; otherwise the operator must restore it from backup");

    internal static IResult Unavailable(string hash) =>
        Problems.Of(StatusCodes.Status500InternalServerError, ProblemCodes.ChunkUnavailable,
            $"chunk {hash} is registered to this vault but missing from the chunk store (or in its quarantine); a device that still has the file can upload the chunk again, otherwise the operator must restore it from backup");

    /// <summary>Bytes gathered before they are handed to the chunk store's upload (fewer, larger writes).</summary>
    const int UploadWriteBytes = 128 * 1024;

    /// <summary>
    /// Reads the body into <paramref name="buffer"/>, hashing as it goes and passing it on to <paramref name="upload"/>;
    /// returns its length (more than the largest chunk when it is too long).
    /// </summary>
    static async Task<int> ReadBodyAsync(HttpRequest request, byte[] buffer, IncrementalHash sha, IChunkUpload? upload, CancellationToken ct)
    {
        var filled = 0;
        var written = 0;
        while (true)
        {
            if (filled == MaxChunkBytes)
            {
                // Kestrel enforces the limit when it could still be set; otherwise one more byte says "too long".
                var probe = new byte[1];
                if (await request.Body.ReadAsync(probe, ct) > 0) return MaxChunkBytes + 1;
                break;
            }
            var n = await request.Body.ReadAsync(buffer.AsMemory(filled, MaxChunkBytes - filled), ct);
            if (n == 0) break;
            sha.AppendData(buffer, filled, n);
            filled += n;
            if (upload is not null && filled - written >= UploadWriteBytes)
            {
                upload.Write(buffer.AsSpan(written, filled - written));
                written = filled;
            }
        }
        if (upload is not null && filled > written) upload.Write(buffer.AsSpan(written, filled - written));
        // A body longer than announced is a protocol error Kestrel reports; shorter throws EndOfStream.
        if (request.ContentLength is { } announced && filled < announced) throw new EndOfStreamException();
        return filled;
    }

    static IResult InvalidHash(string hash) =>
        Problems.BadRequest(ProblemCodes.InvalidHash, $"'{Problems.Truncate(hash)}' is not a chunk hash: 64 lowercase hex characters of SHA-256");

    static IResult TooLarge() =>
        Problems.Of(StatusCodes.Status413PayloadTooLarge, ProblemCodes.ChunkTooLarge,
            $"a chunk is at most {MaxChunkBytes} bytes (the FastCDC maximum); cut the file with the standard chunker");
}

/// <summary>Log category of the chunk routes.</summary>
public sealed class ChunkRoutes;
