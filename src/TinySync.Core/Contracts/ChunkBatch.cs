namespace TinySync.Core.Contracts;

/// <summary>
/// Answer of <c>POST /v1/vaults/{vid}/chunks/batch</c>: every chunk of the body is durable and registered to the
/// vault. <paramref name="Created"/> were newly registered, <paramref name="Held"/> the vault already held.
/// </summary>
public sealed record ChunkBatchResponse(int Created, int Held);

/// <summary>
/// Body of <c>POST /v1/vaults/{vid}/chunks/fetch</c>: the chunks to download, answered as framed bytes in this order
/// (a prefix of them when the answer would exceed the byte budget; ask again for the rest).
/// </summary>
public sealed record ChunkFetchRequest(IReadOnlyList<string> Hashes);
