using TinySync.Core.Contracts;

namespace TinySync.Client.Api;

/// <summary>The device API (docs/protocol.md#device-api) as the engine uses it. <see cref="DeviceApiClient"/> is the HTTP implementation.</summary>
public interface IDeviceApi
{
    /// <summary>This device's id.</summary>
    Guid DeviceId { get; }

    /// <summary><c>GET /v1/me</c>.</summary>
    Task<MeView> GetMeAsync(CancellationToken ct);

    /// <summary><c>POST /v1/me/revoke</c>.</summary>
    Task RevokeSelfAsync(CancellationToken ct);

    /// <summary><c>GET /v1/vaults/{vid}/log?after=N&amp;limit=L</c>.</summary>
    Task<LogPage> GetLogAsync(Guid vault, long after, int limit, CancellationToken ct);

    /// <summary><c>GET /v1/vaults/{vid}/tree?container=C&amp;cursor=X</c>.</summary>
    Task<TreePage> GetTreeAsync(Guid vault, string container, string? cursor, CancellationToken ct);

    /// <summary><c>POST /v1/vaults/{vid}/chunks/missing</c>.</summary>
    Task<IReadOnlyList<string>> MissingChunksAsync(Guid vault, IReadOnlyList<string> hashes, CancellationToken ct);

    /// <summary><c>PUT /v1/vaults/{vid}/chunks/{sha256}</c>.</summary>
    Task PutChunkAsync(Guid vault, string hash, ReadOnlyMemory<byte> bytes, CancellationToken ct);

    /// <summary><c>GET /v1/vaults/{vid}/chunks/{sha256}</c>.</summary>
    Task<byte[]> GetChunkAsync(Guid vault, string hash, CancellationToken ct);

    /// <summary>
    /// <c>GET /v1/vaults/{vid}/chunks/{sha256}</c> into a pooled buffer (one chunk in <see cref="RentedChunks.Chunks"/>);
    /// the caller disposes it. Bytes are NOT verified here.
    /// </summary>
    Task<RentedChunks> GetChunkRentedAsync(Guid vault, string hash, CancellationToken ct);

    /// <summary>
    /// <c>POST /v1/vaults/{vid}/chunks/batch</c>: uploads many chunks in one request; when it returns true every one
    /// is durable on the server and registered to the vault. False when the server has no batch route (an older
    /// server): the caller falls back to <see cref="PutChunkAsync"/>.
    /// </summary>
    Task<bool> PutChunksAsync(Guid vault, IReadOnlyList<(string Hash, ReadOnlyMemory<byte> Bytes)> chunks, CancellationToken ct);

    /// <summary>
    /// <c>POST /v1/vaults/{vid}/chunks/fetch</c>: downloads many chunks in one request, in the order asked; the answer
    /// may be a prefix (the server's byte budget) — ask again for the rest. Bytes are NOT verified here: the caller
    /// hashes them, and disposes the answer once it has written them. Null when the server has no fetch route: the
    /// caller falls back to <see cref="GetChunkAsync"/>.
    /// </summary>
    Task<RentedChunks?> FetchChunksAsync(Guid vault, IReadOnlyList<string> hashes, CancellationToken ct);

    /// <summary><c>POST /v1/vaults/{vid}/ops</c>.</summary>
    Task<OpsResponse> CommitAsync(Guid vault, IReadOnlyList<Op> ops, CancellationToken ct);

    /// <summary>History of the item at a path, newest first, followed back across moves.</summary>
    Task<HistoryPage> GetHistoryAsync(Guid vault, string container, string path, CancellationToken ct);

    /// <summary>A page of the deleted files still restorable, under a folder (<paramref name="under"/>) or the whole container.</summary>
    Task<DeletedPage> GetDeletedAsync(Guid vault, string container, string? under, string? cursor, CancellationToken ct);
}
