using System.Buffers;

namespace TinySync.Client.Engine.Upload;

/// <summary>
/// Groups chunks into framed batches of about <see cref="UploadBatchBytes"/> and sends them, at most
/// <see cref="BatchesInFlight"/> at a time (which also bounds the buffers held). Falls back to one PUT per chunk
/// when the server has no batch route. Each batch is durable on the server when its request returns; then
/// <paramref name="onSent"/> hears which chunks it held. Buffers are rented by the reader and returned here.
/// </summary>
internal sealed class BatchSender(LinkContext cx, CancellationToken ct, Action<List<(string Hash, int Length)>> onSent)
{
    const int UploadBatchBytes = 4 * 1024 * 1024;
    const int UploadBatchChunks = 256;
    const int BatchesInFlight = 4;
    const int ChunkPutParallelism = 16;

    readonly SemaphoreSlim _slots = new(BatchesInFlight);
    readonly List<Task> _inflight = [];
    List<(string Hash, byte[] Buffer, int Length)> _current = [];
    long _currentBytes;

    /// <summary>Adds a chunk (its buffer from <see cref="ArrayPool{T}.Shared"/>); sends the batch once it is full.</summary>
    public async Task AddAsync(string hash, byte[] buffer, int length)
    {
        List<(string, byte[], int)>? full = null;
        lock (_inflight)
        {
            _current.Add((hash, buffer, length));
            _currentBytes += length;
            if (_currentBytes >= UploadBatchBytes || _current.Count >= UploadBatchChunks)
            {
                full = _current;
                _current = [];
                _currentBytes = 0;
            }
        }
        if (full is not null) await SendAsync(full).ConfigureAwait(false);
    }

    /// <summary>Sends the last, partly filled batch.</summary>
    public async Task FlushAsync()
    {
        List<(string, byte[], int)> rest;
        lock (_inflight)
        {
            rest = _current;
            _current = [];
            _currentBytes = 0;
        }
        if (rest.Count > 0) await SendAsync(rest).ConfigureAwait(false);
    }

    /// <summary>Waits for every batch in flight; returns the buffers of a batch never sent.</summary>
    public async Task DrainAsync()
    {
        Task[] all;
        lock (_inflight) all = [.. _inflight];
        try
        {
            await Task.WhenAll(all).ConfigureAwait(false);
        }
        finally
        {
            lock (_inflight)
            {
                foreach (var (_, buffer, _) in _current) ArrayPool<byte>.Shared.Return(buffer);
                _current = [];
            }
        }
    }

    async Task SendAsync(List<(string Hash, byte[] Buffer, int Length)> batch)
    {
        try
        {
            await _slots.WaitAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            foreach (var (_, buffer, _) in batch) ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
        var task = Task.Run(async () =>
        {
            try
            {
                var chunks = batch.Select(b => (b.Hash, (ReadOnlyMemory<byte>)b.Buffer.AsMemory(0, b.Length))).ToList();
                if (!await cx.Api.PutChunksAsync(cx.Link.VaultId, chunks, ct).ConfigureAwait(false))
                {
                    await Parallel.ForEachAsync(chunks, new ParallelOptions { MaxDegreeOfParallelism = ChunkPutParallelism, CancellationToken = ct },
                        async (c, token) => await cx.Api.PutChunkAsync(cx.Link.VaultId, c.Hash, c.Item2, token).ConfigureAwait(false)).ConfigureAwait(false);
                }
                foreach (var b in batch) cx.Stats.Uploaded(b.Length);
                onSent([.. batch.Select(b => (b.Hash, b.Length))]);
            }
            finally
            {
                foreach (var (_, buffer, _) in batch) ArrayPool<byte>.Shared.Return(buffer);
                _slots.Release();
            }
        }, CancellationToken.None);
        lock (_inflight) _inflight.Add(task);
    }
}
