using System.Buffers;
using TinySync.Client.Engine.Commit;
using TinySync.Core.Chunking;
using TinySync.Core.Contracts;
using TinySync.Core.Paths;

namespace TinySync.Client.Engine.Upload;

/// <summary>
/// Carries out a plan's upload actions: ops in dependency order (new directories parent-first and moves at once, then
/// files as their chunks become durable on the server, pipelined with the upload, then file deletes deepest-first,
/// directory deletes last). A file is committed only if it is still exactly what was hashed.
/// </summary>
internal sealed class Uploader(LinkContext cx, Committer committer)
{
    /// <summary>Uploads and commits the plan's upload actions.</summary>
    public async Task UploadAsync(Plan plan, CancellationToken ct)
    {
        var puts = plan.Of<UploadPut>().ToList();
        var models = new CommitModels(cx.Index, plan.Actions.Count(a => a is UploadPut or UploadMkdir));
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var committedOps = 0;

        var early = new List<(Op Op, SyncAction Action)>();
        foreach (var m in plan.Of<UploadMkdir>().OrderBy(m => LinkContext.Depth(m.Path))) early.Add((committer.NewOp(OpKind.Mkdir, m.Path, m.Base), m));
        foreach (var m in plan.Of<UploadMove>()) early.Add((committer.NewOp(OpKind.Move, m.Path, m.Base) with { NewPath = m.NewPath }, m));
        await committer.CommitAsync(early, models, ct).ConfigureAwait(false);
        committedOps += early.Count;

        if (puts.Count > 0) committedOps += await UploadPutsAsync(puts, models, ct).ConfigureAwait(false);

        var deletes = plan.Of<UploadDelete>().OrderByDescending(d => LinkContext.Depth(d.Path)).ToList();
        var fileDeletes = deletes.Where(d => d.Kind == ItemKind.File).Select(d => (committer.NewOp(OpKind.Delete, d.Path, d.Base), (SyncAction)d)).ToList();
        await committer.CommitAsync(fileDeletes, models, ct).ConfigureAwait(false);
        committedOps += fileDeletes.Count;
        if (committedOps > 0) cx.Observer.Message(MessageLevel.Info, $"{cx.Root}: uploaded and committed {committedOps} op(s) in {System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms");

        // Directory deletes last, and only for directories with nothing left under them on the server: a concurrent
        // edit inside survives (edit beats delete). What this view may not know yet (stale log pages, a commit racing
        // ours) the server checks: `seen` = the cursor, through which the view is complete (decision 0712).
        var dirDeletes = deletes.Where(d => d.Kind == ItemKind.Dir).ToList();
        if (dirDeletes.Count > 0)
        {
            var seen = cx.Index.Cursor;
            var remote = cx.Index.LoadRemote();
            var deleting = dirDeletes.Select(d => d.Path).ToHashSet(StringComparer.Ordinal);
            var dirOps = new List<(Op, SyncAction)>();
            foreach (var d in dirDeletes)
            {
                var blocked = remote.Keys.Any(p => !deleting.Contains(p) && !string.Equals(p, d.Path, StringComparison.Ordinal) && VaultPath.IsSameOrUnder(p, d.Path));
                if (blocked) continue;
                dirOps.Add((committer.NewOp(OpKind.Delete, d.Path, d.Base) with { Seen = seen }, d));
            }
            await committer.CommitAsync(dirOps, models, ct).ConfigureAwait(false);
        }
    }

    Op PutOp(UploadPut p) => committer.NewOp(OpKind.Put, p.Path, p.Base) with
    {
        Size = p.Local.Size, Chunks = p.Local.Hashes, Executable = p.Local.Executable,
        Mtime = DateTimeOffset.FromUnixTimeMilliseconds(p.Local.MtimeNs / 1_000_000),
    };

    /// <summary>
    /// Sends the missing chunks of <paramref name="puts"/> in framed batches (several in flight; each batch is
    /// durable on the server when its request returns) and commits every put as soon as all the chunks it needs are
    /// durable and its file is still exactly what was hashed. Returns the number of put ops committed.
    /// </summary>
    async Task<int> UploadPutsAsync(List<UploadPut> puts, CommitModels models, CancellationToken ct)
    {
        var waiters = await ChunkWaiters.FindAsync(cx, puts, ct).ConfigureAwait(false);
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var committed = 0;
        var commits = Task.Run(async () =>
        {
            try
            {
                var batch = new List<(Op, SyncAction)>(Committer.OpsBatchSize);
                await foreach (var i in waiters.Ready.ReadAllAsync(failed.Token).ConfigureAwait(false))
                {
                    if (!StillSame(puts[i])) continue;
                    batch.Add((PutOp(puts[i]), puts[i]));
                    if (batch.Count >= Committer.OpsBatchSize)
                    {
                        await committer.CommitAsync(batch, models, failed.Token).ConfigureAwait(false);
                        committed += batch.Count;
                        batch = new List<(Op, SyncAction)>(Committer.OpsBatchSize);
                    }
                }
                if (batch.Count > 0)
                {
                    await committer.CommitAsync(batch, models, failed.Token).ConfigureAwait(false);
                    committed += batch.Count;
                }
            }
            catch
            {
                await failed.CancelAsync().ConfigureAwait(false);
                throw;
            }
        }, CancellationToken.None);

        long done = 0;
        var sender = new BatchSender(cx, failed.Token, sent =>
        {
            foreach (var (_, length) in sent) Interlocked.Add(ref done, length);
            waiters.Sent(sent);
            cx.Observer.Progress("upload", Interlocked.Read(ref done), waiters.TotalBytes);
        });
        Exception? failure = null;
        try
        {
            // Largest files first: their commits then reach other devices while the small files are still going up,
            // so a device downloading meanwhile is not left with the largest transfers at the end (0418).
            await Parallel.ForEachAsync(Enumerable.Range(0, puts.Count).Where(waiters.Waits).OrderByDescending(i => puts[i].Local.Size),
                new ParallelOptions { MaxDegreeOfParallelism = Math.Max(2, Environment.ProcessorCount), CancellationToken = failed.Token }, async (i, token) =>
                {
                    if (!await ReadChunksAsync(puts[i], i, waiters, sender, token).ConfigureAwait(false)) waiters.Gone(i);
                }).ConfigureAwait(false);
            await sender.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            failure = e;
        }
        try
        {
            await sender.DrainAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            failure ??= e;
        }
        waiters.Complete();
        try
        {
            await commits.ConfigureAwait(false); // commits what became ready, even when the upload failed half-way
        }
        catch (Exception e) when (failure is not null && e is OperationCanceledException) { }
        if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        foreach (var i in waiters.Stranded()) cx.Pending($"{puts[i].Path}: shares a chunk with a file that changed while uploading; will retry");
        return committed;
    }

    bool StillSame(UploadPut put)
    {
        // never commit torn content: the file must still be exactly what was hashed
        try
        {
            if (cx.Fs.Stat(put.Path).SameAs(LinkContext.StatOf(put.Local))) return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            cx.Pending($"{put.Path} cannot be checked before its commit ({e.Message}); will retry");
            return false;
        }
        cx.Pending($"{put.Path} changed while uploading; it will be rescanned");
        return false;
    }

    /// <summary>
    /// Reads the missing chunks of which file <paramref name="index"/> is the first waiter, by offset (known from the
    /// scan), verifies each one's SHA-256 and hands it to the sender. False when the file changed since the scan (the
    /// check fails) or cannot be read: it is rescanned, never committed torn, and the other files waiting for a chunk
    /// it did not send stay pending until the next round.
    /// </summary>
    async Task<bool> ReadChunksAsync(UploadPut put, int index, ChunkWaiters waiters, BatchSender sender, CancellationToken ct)
    {
        try
        {
            using var stream = cx.Fs.OpenRead(put.Path);
            HashSet<string>? read = put.Local.Chunks.Count > 1 ? new(StringComparer.Ordinal) : null; // a chunk twice in one file goes once
            long offset = 0;
            foreach (var c in put.Local.Chunks)
            {
                var at = offset;
                offset += c.Length;
                if (!waiters.IsReader(c.Hash, index) || (read is not null && !read.Add(c.Hash))) continue;
                var buffer = ArrayPool<byte>.Shared.Rent(c.Length);
                stream.Seek(at, SeekOrigin.Begin);
                var got = await stream.ReadAtLeastAsync(buffer.AsMemory(0, c.Length), c.Length, throwOnEndOfStream: false, ct).ConfigureAwait(false);
                if (got != c.Length || !ChunkHash.Matches(buffer.AsSpan(0, c.Length), c.Hash))
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    cx.Pending($"{put.Path} changed while uploading; it will be rescanned");
                    return false;
                }
                await sender.AddAsync(c.Hash, buffer, c.Length).ConfigureAwait(false);
            }
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            cx.Observer.Message(MessageLevel.Warning, $"cannot read {cx.Abs(put.Path)} ({e.Message}); skipped, will retry");
            cx.Pending($"{put.Path} unreadable; will retry");
            return false;
        }
    }
}
