using TinySync.Client.Engine.Downloads;
using TinySync.Client.Engine.Tuning;
using TinySync.Client.Engine.Upload;
using TinySync.Client.Scanning;

namespace TinySync.Client.Engine;

/// <summary>
/// Carries out a round's <see cref="Plan"/> as decided, stage by stage: conflict copies (alone: they change the local
/// tree, so the round ends and the next one re-plans), bases both sides agree on, uploads and commits, new folders,
/// local moves, downloads, local deletes. It never edits the plan: a move the disk no longer allows becomes the
/// download and delete it stands for.
/// </summary>
internal sealed class PlanExecutor(LinkContext cx, Uploader uploader, Downloader downloader, LocalChanges local)
{
    /// <summary>Executes <paramref name="plan"/>, made from <paramref name="scan"/>.</summary>
    public async Task ExecuteAsync(Plan plan, ScanResult scan, CancellationToken ct)
    {
        var renames = plan.Of<ConflictRename>().ToList();
        if (renames.Count > 0)
        {
            foreach (var c in renames) local.ConflictCopy(c);
            return;
        }
        using (var batch = cx.Index.Begin())
        {
            foreach (var a in plan.Of<AdoptBase>())
            {
                if (a.Remote is null) batch.DeleteBase(a.Path);
                else batch.PutBase(a.Remote);
            }
            batch.Commit();
        }
        var sw = System.Diagnostics.Stopwatch.StartNew();
        await MemoryTuning.BetweenPhasesAsync().ConfigureAwait(false);
        await uploader.UploadAsync(plan, ct).ConfigureAwait(false);
        var up = sw.ElapsedMilliseconds;
        foreach (var m in plan.Of<LocalMkdir>().OrderBy(m => m.Path.Length)) local.MakeDirectory(m);
        var mk = sw.ElapsedMilliseconds;
        var downloads = plan.Of<Download>().ToList();
        var deletes = plan.Of<LocalDelete>().ToList();
        var moves = plan.Of<LocalMove>().ToList();
        if (downloads.Count > 0 || moves.Count > 0)
        {
            // where each chunk already is on disk (from the scan; each read checks the file is still as scanned)
            var sources = new LocalChunkSources(cx.Fs, scan.Local.Values);
            foreach (var m in moves)
            {
                if (local.TryMove(m)) continue;
                downloads.Add(m.AsDownload());
                deletes.Add(m.AsDelete());
            }
            await downloader.DownloadAllAsync(downloads, sources, ct).ConfigureAwait(false);
        }
        var down = sw.ElapsedMilliseconds;
        local.Delete(deletes);
        cx.Observer.Message(MessageLevel.Info, $"{cx.Root}: upload {up} ms, mkdir {mk - up} ms, download {down - mk} ms, delete {sw.ElapsedMilliseconds - down} ms");
    }
}
