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
/// Many chunks per request (decision 0408), beside the single-chunk routes of <see cref="ChunksApi"/>: an upload of
/// many chunks in one framed body with one durability barrier, and a download of many chunks in one framed answer
/// (<see cref="ChunkFrames"/>). Same rules as the single-chunk routes: the vault in the URL only (404 otherwise),
/// every hash verified by the server, the chunker's maximum per chunk, RFC 9457 problems.
/// </summary>
public static class ChunkBatchApi
{
    /// <summary>Largest framed body accepted, and largest framed answer served (frame headers included).</summary>
    public const int MaxBatchBytes = 16 * 1024 * 1024;

    /// <summary>Most chunks in one batch, either way.</summary>
    public const int MaxBatchChunks = 1000;

    /// <summary>Maps the routes.</summary>
    public static IEndpointRouteBuilder MapChunkBatchApi(this IEndpointRouteBuilder app)
    {
        var chunks = app.MapGroup("/v1/vaults/{vid}/chunks").RequireDevice().RequireVaultAccess().WithTags("Chunks");
        chunks.MapPost("/batch", Upload).WithName("uploadChunkBatch").WithSummary("Upload many chunks in one framed body").Accepts<byte[]>(ChunkFrames.MediaType, "application/octet-stream").Produces<ChunkBatchResponse>();
        chunks.MapPost("/fetch", Fetch).WithName("fetchChunkBatch").WithSummary("Download many chunks as one framed body").Accepts<ChunkFetchRequest>("application/json").Produces<byte[]>(StatusCodes.Status200OK, ChunkFrames.MediaType);
        return app;
    }

    // All or nothing before anything is stored: the whole body is framed, sized and hash-checked first, so a bad
    // frame anywhere stores none of the batch. Once storing starts, a failure (disk, database) answers 5xx and some
    // chunks may be stored but none of the registrations is committed; sending the batch again is always safe.
    static async Task<IResult> Upload(HttpContext http, IStore store, IChunkStore blobs, TimeProvider clock, ServerMetrics metrics, CancellationToken ct)
    {
        if (http.Request.ContentType is { } type && !IsFramed(type))
        {
            return Problems.Of(StatusCodes.Status415UnsupportedMediaType, ProblemCodes.UnsupportedMediaType,
                $"a chunk batch is sent as {ChunkFrames.MediaType} (frames of 32-byte SHA-256, 4-byte big-endian length, bytes)");
        }
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = MaxBatchBytes;
        if (http.Request.ContentLength > MaxBatchBytes) return TooLarge();
        // The body in a pooled buffer: a fresh 4 MiB array per batch went to the large-object heap, zeroed, and was
        // reclaimed only by full collections. Nothing keeps a reference into it once the batch is stored.
        (byte[] Buffer, int Length) body;
        try
        {
            body = await ReadBodyAsync(http.Request, ct);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge();
        }
        catch (EndOfStreamException)
        {
            return Problems.BadRequest(ProblemCodes.MalformedBatch, "the body ended before Content-Length bytes; send the batch again");
        }
        try
        {
            return await StoreAsync(http, store, blobs, clock, metrics, body.Buffer.AsMemory(0, body.Length), ct);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(body.Buffer);
        }
    }

    static async Task<IResult> StoreAsync(HttpContext http, IStore store, IChunkStore blobs, TimeProvider clock, ServerMetrics metrics, ReadOnlyMemory<byte> body, CancellationToken ct)
    {
        if (!ChunkFrames.TryParse(body, ChunksApi.MaxChunkBytes, MaxBatchChunks, out var frames, out var error))
        {
            return error.Kind switch
            {
                ChunkFrames.FrameErrorKind.ChunkTooLarge => Problems.Of(StatusCodes.Status413PayloadTooLarge, ProblemCodes.ChunkTooLarge,
                    $"{error.Detail} (the FastCDC maximum); nothing was stored, cut files with the standard chunker"),
                ChunkFrames.FrameErrorKind.TooManyFrames => Problems.BadRequest(ProblemCodes.BatchTooLarge,
                    $"{error.Detail}; nothing was stored, split the batch"),
                _ => Problems.BadRequest(ProblemCodes.MalformedBatch, $"{error.Detail}; nothing was stored"),
            };
        }
        for (var i = 0; i < frames.Count; i++)
        {
            if (!ChunkHash.Matches(frames[i].Content.Span, frames[i].Hash))
            {
                return Problems.BadRequest(ProblemCodes.ChunkHashMismatch,
                    $"chunk {i} of the batch ({frames[i].Content.Length} bytes) hashes to {ChunkHash.Compute(frames[i].Content.Span)}, not {frames[i].Hash}; " +
                    "nothing of this batch was stored, send it again");
            }
        }
        var distinct = frames.Select(f => f.Hash).Distinct(StringComparer.Ordinal).Count();
        var created = await store.RegisterChunksAsync(http.VaultId(), http.Device().DeviceId, [.. frames.Select(f => (f.Hash, f.Content))], blobs, clock.GetUtcNow(), ct);
        metrics.ChunkBytesIn(frames.Sum(f => (long)f.Content.Length));
        return TypedResults.Ok(new ChunkBatchResponse(created, distinct - created));
    }

    static async Task<IResult> Fetch(HttpContext http, IStore store, IChunkStore blobs, ServerMetrics metrics, ILogger<ChunkRoutes> log, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync<ChunkFetchRequest>(http, ct, maxBytes: 1024 * 1024);
        if (problem is not null) return problem;
        var hashes = body!.Hashes;
        if (hashes.Count > MaxBatchChunks)
            return Problems.BadRequest(ProblemCodes.TooManyHashes, $"{hashes.Count} hashes; fetch at most {MaxBatchChunks} per request");
        for (var i = 0; i < hashes.Count; i++)
        {
            if (!ChunkHash.IsValid(hashes[i]))
                return Problems.BadRequest(ProblemCodes.InvalidHash, $"hashes[{i}] is not a chunk hash: 64 lowercase hex characters of SHA-256");
        }
        var missing = await store.FindMissingChunksAsync(http.VaultId(), hashes, ct);
        if (missing.Count > 0)
        {
            return Problems.NotFound(ProblemCodes.ChunkNotFound,
                $"this vault holds no chunk {missing[0]}" + (missing.Count > 1 ? $" (nor {missing.Count - 1} other(s) of the request)" : "") + "; nothing was sent");
        }
        // In request order, as many as fit in the budget (at least one): the client asks again for the rest.
        var parts = new List<(string Hash, byte[] Data)>();
        var total = 0;
        foreach (var hash in hashes)
        {
            byte[]? data;
            try
            {
                data = await blobs.GetAsync(hash, ct);
            }
            catch (ChunkCorruptedException)
            {
                return await ChunksApi.QuarantinedAsync(blobs, hash, log);
            }
            if (data is null)
            {
                return ChunksApi.Unavailable(hash);
            }
            if (parts.Count > 0 && total + ChunkFrames.FrameLength(data.Length) > MaxBatchBytes) break;
            parts.Add((hash, data));
            total += ChunkFrames.FrameLength(data.Length);
        }
        var answer = new byte[total];
        var at = 0;
        foreach (var (hash, data) in parts) at += ChunkFrames.Write(answer.AsSpan(at), hash, data);
        metrics.ChunkBytesOut(parts.Sum(p => (long)p.Data.Length));
        return TypedResults.Bytes(answer, ChunkFrames.MediaType);
    }

    static bool IsFramed(string contentType)
    {
        var media = contentType.Split(';')[0].Trim();
        return media.Equals(ChunkFrames.MediaType, StringComparison.OrdinalIgnoreCase) || media.Equals("application/octet-stream", StringComparison.OrdinalIgnoreCase);
    }

    // A rented buffer and the body's length in it; the caller returns the buffer to the pool.
    static async Task<(byte[] Buffer, int Length)> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength is { } length)
        {
            var exact = System.Buffers.ArrayPool<byte>.Shared.Rent((int)length);
            try
            {
                await request.Body.ReadExactlyAsync(exact.AsMemory(0, (int)length), ct);
            }
            catch
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(exact);
                throw;
            }
            return (exact, (int)length);
        }
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, ct);
        var copy = System.Buffers.ArrayPool<byte>.Shared.Rent((int)buffer.Length);
        buffer.GetBuffer().AsSpan(0, (int)buffer.Length).CopyTo(copy);
        return (copy, (int)buffer.Length);
    }

    static IResult TooLarge() =>
        Problems.Of(StatusCodes.Status413PayloadTooLarge, ProblemCodes.BatchTooLarge,
            $"a chunk batch is at most {MaxBatchBytes} bytes; nothing was stored, split the batch");
}
