namespace TinySync.Core.Durability;

/// <summary>
/// The one seam through which TinySync makes files durable (decision 0015): start writeback early, make a whole batch
/// of written files durable behind one barrier, rename them into place, make the renames durable. Used by the server's
/// local chunk store; the client's placement can use the same steps. Tests wrap the real implementation
/// (<see cref="OsFileDurability"/>) to record the order of the steps or to inject a disk that fails.
/// </summary>
/// <remarks>
/// The order a caller follows, and the guarantee it gives: write every file of the batch (calling
/// <see cref="StartWriteback"/> after each), <see cref="FlushFiles"/> once for all of them, <see cref="Move"/> each into
/// place, <see cref="FlushDirectories"/> once for every directory touched, and only then acknowledge or record. A
/// crash at any point leaves each target with its old content or its new, never a partial file; nothing is
/// acknowledged before it is durable.
/// </remarks>
public interface IFileDurability
{
    /// <summary>
    /// Asks the kernel to start writing <paramref name="count"/> bytes of <paramref name="file"/> from
    /// <paramref name="offset"/> to the device, without waiting (Linux <c>sync_file_range(SYNC_FILE_RANGE_WRITE)</c>;
    /// nothing elsewhere). A hint only: it makes nothing durable, it leaves the barrier less to wait for.
    /// </summary>
    void StartWriteback(FileStream file, long offset, long count);

    /// <summary>
    /// The barrier: when it returns, the data and size of every file in <paramref name="files"/> (written and closed
    /// by the caller) are durable. Throws <see cref="IOException"/> when any of them cannot be made durable.
    /// </summary>
    void FlushFiles(IReadOnlyList<string> files, CancellationToken ct);

    /// <summary>Renames <paramref name="from"/> to <paramref name="to"/>, replacing it (atomic within one file system; not durable until its directory is flushed).</summary>
    void Move(string from, string to);

    /// <summary>
    /// When it returns, the entries (creations, renames, removals) of every directory in
    /// <paramref name="directories"/> are durable. Throws <see cref="IOException"/> when any cannot be flushed.
    /// </summary>
    void FlushDirectories(IReadOnlyList<string> directories, CancellationToken ct);
}

/// <summary>How <see cref="OsFileDurability"/> raises its barriers (decision 0015 records which measured better).</summary>
public enum DurabilityBarrier
{
    /// <summary>One <c>fsync</c> per file (and per directory), issued together after all data is written, so the file system commits them at once.</summary>
    FsyncTogether,

    /// <summary>
    /// One <c>syncfs(2)</c> for the whole file system per barrier (Linux; elsewhere <see cref="FsyncTogether"/>). Waits
    /// for every dirty page of that file system, other programs' too.
    /// </summary>
    SyncFs,
}
