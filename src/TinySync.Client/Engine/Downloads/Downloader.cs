using TinySync.Client.Api;
using TinySync.Client.Engine.Tuning;
using TinySync.Core.Chunking;

namespace TinySync.Client.Engine.Downloads;

/// <summary>
/// Gets the bytes of a round's downloads: small files in groups (one fetch request, one durability barrier, one index
/// transaction per group), large files four at a time, each with four chunk requests in flight. Chunks found on disk
/// are copied instead (<see cref="LocalChunkSources"/>); every fetched chunk is verified. The files are written into
/// the folder by <see cref="FilePlacer"/>.
/// </summary>
internal sealed class Downloader(LinkContext cx)
{
    readonly FilePlacer _placer = new(cx);

    /// <summary>Downloads <paramref name="downloads"/> and places each one that is still wanted.</summary>
    public async Task DownloadAllAsync(IReadOnlyList<Download> downloads, LocalChunkSources sources, CancellationToken ct)
    {
        if (downloads.Count == 0) return;
        long total = downloads.Sum(d => d.Remote.Size), done = 0;
        void Progress(long n) => cx.Observer.Progress("download", Interlocked.Add(ref done, n), total);
        var (groups, large) = PlacementBatch.Cut(downloads);
        await Task.WhenAll(
            Parallel.ForEachAsync(groups, new ParallelOptions { MaxDegreeOfParallelism = PlacementTuning.BatchesInFlight, CancellationToken = ct },
                async (g, token) => await DownloadGroupAsync(g, sources, Progress, token).ConfigureAwait(false)),
            Parallel.ForEachAsync(large, new ParallelOptions { MaxDegreeOfParallelism = PlacementTuning.LargeFilesInFlight, CancellationToken = ct },
                async (d, token) => await DownloadLargeAsync(d, sources, Progress, token).ConfigureAwait(false))).ConfigureAwait(false);
    }

    /// <summary>
    /// Downloads a group of small files: their chunks come from local files when possible, the rest in framed fetch
    /// requests (verified here, one by one); each file is assembled in its own temp file, and the group is placed at
    /// once. Fetched bytes are slices of pooled answers (decision 0417), returned once the group's files are written.
    /// </summary>
    async Task DownloadGroupAsync(List<Download> group, LocalChunkSources sources, Action<long> progress, CancellationToken ct)
    {
        var answers = new List<RentedChunks>();
        try
        {
            if (await FetchGroupAsync(group, sources, answers, ct).ConfigureAwait(false) is not { } bytesOf) return;
            using var batch = _placer.TryBegin(group);
            if (batch is null) return;
            var written = new List<TempFile>(group.Count);
            try
            {
                foreach (var d in group)
                {
                    TempFile? f = null;
                    try
                    {
                        f = _placer.Create(batch, d);
                        foreach (var hash in d.Remote.Chunks) await f.WriteAsync(hash, bytesOf[hash], ct).ConfigureAwait(false);
                        f.CheckSize();
                        written.Add(f);
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        await _placer.FailedAsync(d, f, e).ConfigureAwait(false);
                    }
                    catch
                    {
                        if (f is not null) await _placer.DiscardAsync(f).ConfigureAwait(false);
                        throw;
                    }
                }
            }
            catch
            {
                await _placer.DiscardAsync(written).ConfigureAwait(false);
                throw;
            }
            await _placer.PlaceAsync(batch, written, progress, ct).ConfigureAwait(false);
        }
        finally
        {
            foreach (var a in answers) a.Dispose();
        }
    }

    /// <summary>The bytes of every chunk of the group, by hash; null (each file reported) when the fetch failed.</summary>
    async Task<Dictionary<string, ReadOnlyMemory<byte>>?> FetchGroupAsync(List<Download> group, LocalChunkSources sources,
        List<RentedChunks> answers, CancellationToken ct)
    {
        var bytesOf = new Dictionary<string, ReadOnlyMemory<byte>>(StringComparer.Ordinal);
        var fetch = new List<string>();
        var asked = new HashSet<string>(StringComparer.Ordinal);
        foreach (var d in group)
        {
            foreach (var hash in d.Remote.Chunks)
            {
                if (bytesOf.ContainsKey(hash) || asked.Contains(hash)) continue;
                if (sources.Read(hash) is { } local)
                {
                    bytesOf[hash] = local;
                    cx.Stats.Reused();
                }
                else
                {
                    asked.Add(hash);
                    fetch.Add(hash);
                }
            }
        }
        try
        {
            while (fetch.Count > 0)
            {
                var got = await cx.Api.FetchChunksAsync(cx.Link.VaultId, fetch, ct).ConfigureAwait(false);
                if (got is null)
                {
                    // an older server without the fetch route: one GET per chunk
                    foreach (var hash in fetch) bytesOf[hash] = Held(answers, await GetChunkVerifiedAsync(hash, ct).ConfigureAwait(false));
                    break;
                }
                answers.Add(got);
                var progressed = false;
                foreach (var (hash, bytes) in got.Chunks)
                {
                    if (!asked.Contains(hash) || bytesOf.ContainsKey(hash)) continue;
                    if (ChunkHash.Matches(bytes.Span, hash))
                    {
                        bytesOf[hash] = bytes;
                        cx.Stats.Downloaded(bytes.Length);
                    }
                    else
                    {
                        bytesOf[hash] = Held(answers, await GetChunkVerifiedAsync(hash, ct).ConfigureAwait(false));
                    }
                    progressed = true;
                }
                if (!progressed) throw new IOException("the server answered a chunk fetch with none of the chunks asked for");
                fetch = fetch.Where(h => !bytesOf.ContainsKey(h)).ToList();
            }
        }
        catch (IOException e)
        {
            foreach (var d in group) await _placer.FailedAsync(d, null, e).ConfigureAwait(false);
            return null;
        }
        return bytesOf;
    }

    // Keeps a fetched chunk's lease with the group's answers (returned once its files are written); its bytes.
    static ReadOnlyMemory<byte> Held(List<RentedChunks> answers, RentedChunks one)
    {
        answers.Add(one);
        return one.Chunks[0].Bytes;
    }

    /// <summary>
    /// Downloads one large file into its temp file, the next chunks fetched while this one is written
    /// (<see cref="PlacementTuning.LargeFileLookahead"/> of them): one round trip per chunk, one after the other, left a large file's
    /// download waiting on latency, not bandwidth. Then places it.
    /// </summary>
    async Task DownloadLargeAsync(Download d, LocalChunkSources sources, Action<long> progress, CancellationToken ct)
    {
        using var batch = _placer.TryBegin([d]);
        if (batch is null) return;
        TempFile? f = null;
        try
        {
            f = _placer.Create(batch, d);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var ahead = new Queue<Task<(ReadOnlyMemory<byte> Bytes, RentedChunks? Lease)>>();
            var next = 0;
            try
            {
                foreach (var hash in d.Remote.Chunks)
                {
                    while (next < d.Remote.Chunks.Count && ahead.Count < PlacementTuning.LargeFileLookahead)
                    {
                        ahead.Enqueue(ChunkForFileAsync(d.Remote.Chunks[next++], sources, stop.Token));
                    }
                    var (bytes, lease) = await ahead.Dequeue().ConfigureAwait(false);
                    using (lease)
                    {
                        await f.WriteAsync(hash, bytes, ct).ConfigureAwait(false);
                    }
                    progress(bytes.Length);
                }
            }
            finally
            {
                // a failure leaves fetches in flight: stop them, observe their end and return what they hold
                // before the temp file goes
                await stop.CancelAsync().ConfigureAwait(false);
                await ((Task)Task.WhenAll(ahead)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                foreach (var t in ahead)
                {
                    if (t.IsCompletedSuccessfully) t.Result.Lease?.Dispose();
                }
            }
            f.CheckSize();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await _placer.FailedAsync(d, f, e).ConfigureAwait(false);
            return;
        }
        catch
        {
            if (f is not null) await _placer.DiscardAsync(f).ConfigureAwait(false);
            throw;
        }
        await _placer.PlaceAsync(batch, [f], null, ct).ConfigureAwait(false);
    }

    // One chunk of a large file: copied from a local file that has it, else fetched into a pooled buffer (the lease,
    // disposed once written) and verified.
    async Task<(ReadOnlyMemory<byte> Bytes, RentedChunks? Lease)> ChunkForFileAsync(string hash, LocalChunkSources sources, CancellationToken ct)
    {
        if (sources.Read(hash) is { } local)
        {
            cx.Stats.Reused();
            return (local, null);
        }
        var got = await GetChunkVerifiedAsync(hash, ct).ConfigureAwait(false);
        return (got.Chunks[0].Bytes, got);
    }

    // One chunk by GET into a pooled buffer, verified; asked for once more if it arrives corrupted.
    async Task<RentedChunks> GetChunkVerifiedAsync(string hash, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var got = await cx.Api.GetChunkRentedAsync(cx.Link.VaultId, hash, ct).ConfigureAwait(false);
            var bytes = got.Chunks[0].Bytes;
            if (ChunkHash.Matches(bytes.Span, hash))
            {
                cx.Stats.Downloaded(bytes.Length);
                return got;
            }
            got.Dispose();
            if (attempt > 0) throw new IOException($"chunk {hash[..12]}… arrived corrupted twice");
        }
    }
}
