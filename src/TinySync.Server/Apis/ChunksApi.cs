using Microsoft.AspNetCore.Http.Features;
using TinySync.Core.Chunking;
using TinySync.Core.Contracts;
using TinySync.Server.Auth;
using TinySync.Server.Blobs;
using TinySync.Server.Http;
using TinySync.Server.Storage;

namespace TinySync.Server.Apis;

/// <summary>
/// Content chunks of a vault (SPEC §5): probe, upload (hash verified), download. Chunks are stored once physically
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
        chunks.MapPost("/missing", Missing).Accepts<MissingChunksRequest>("application/json").Produces<MissingChunksResponse>();
        chunks.MapPut("/{hash}", Upload).Accepts<byte[]>("application/octet-stream").Produces(StatusCodes.Status201Created).Produces(StatusCodes.Status200OK);
        chunks.MapGet("/{hash}", Download).Produces<byte[]>(StatusCodes.Status200OK, "application/octet-stream");
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

    static async Task<IResult> Upload(string hash, HttpContext http, IStore store, IChunkStore blobs, TimeProvider clock, CancellationToken ct)
    {
        if (!ChunkHash.IsValid(hash)) return InvalidHash(hash);
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = MaxChunkBytes;
        if (http.Request.ContentLength > MaxChunkBytes) return TooLarge();
        byte[] data;
        try
        {
            data = await ReadBodyAsync(http.Request, ct);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge();
        }
        catch (EndOfStreamException)
        {
            return Problems.BadRequest(ProblemCodes.InvalidArgument, "the body ended before Content-Length bytes; upload the chunk again");
        }
        if (!ChunkHash.Matches(data, hash))
        {
            return Problems.BadRequest(ProblemCodes.ChunkHashMismatch,
                $"the body ({data.Length} bytes) hashes to {ChunkHash.Compute(data)}, not {hash}; nothing was stored, upload the chunk again");
        }
        var created = await store.RegisterChunkAsync(http.VaultId(), hash, data, blobs, clock.GetUtcNow(), ct);
        return created ? TypedResults.StatusCode(StatusCodes.Status201Created) : TypedResults.Ok();
    }

    static async Task<IResult> Download(string hash, HttpContext http, IStore store, IChunkStore blobs, CancellationToken ct)
    {
        if (!ChunkHash.IsValid(hash)) return InvalidHash(hash);
        var vaultId = http.VaultId();
        if (!await store.HoldsChunkAsync(vaultId, hash, ct))
            return Problems.NotFound(ProblemCodes.ChunkNotFound, $"this vault holds no chunk {hash}; upload it first");
        byte[]? data;
        try
        {
            data = await blobs.GetAsync(hash, ct);
        }
        catch (ChunkCorruptedException)
        {
            return Problems.Of(StatusCodes.Status500InternalServerError, ProblemCodes.ChunkCorrupted,
                $"the stored copy of chunk {hash} is damaged and will not be served; the operator must restore the chunk store from backup (a device that still has the file can upload the chunk again)");
        }
        if (data is null)
        {
            return Problems.Of(StatusCodes.Status500InternalServerError, ProblemCodes.ChunkUnavailable,
                $"chunk {hash} is registered to this vault but missing from the chunk store; the operator must restore the chunk store from backup");
        }
        return TypedResults.Bytes(data, "application/octet-stream");
    }

    static async Task<byte[]> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength is { } length)
        {
            var exact = new byte[length];
            await request.Body.ReadExactlyAsync(exact, ct);
            // a body longer than announced is a protocol error Kestrel reports; shorter throws EndOfStream
            return exact;
        }
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, ct);
        return buffer.ToArray();
    }

    static IResult InvalidHash(string hash) =>
        Problems.BadRequest(ProblemCodes.InvalidHash, $"'{Problems.Truncate(hash)}' is not a chunk hash: 64 lowercase hex characters of SHA-256");

    static IResult TooLarge() =>
        Problems.Of(StatusCodes.Status413PayloadTooLarge, ProblemCodes.ChunkTooLarge,
            $"a chunk is at most {MaxChunkBytes} bytes (the FastCDC maximum); cut the file with the standard chunker");
}
