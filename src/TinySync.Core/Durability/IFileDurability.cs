namespace TinySync.Core.Durability;

/// <summary>
/// The one seam through which TinySync makes files durable (decision 0015): start writeback early, make a whole batch
/// of written files durable behind one barrier, rename them into place, make the renames durable. Used by the server's
/// local chunk store; the client's placement can use the same steps. Tests wrap the real implementation
/// (<see cref="OsFileDurability"/>) to record the order of the steps or to inject a disk that fails.
/// </summary>
/// <remarks>
/// The order a caller follows, and the guarantee it gives: <see cref="Begin"/> a batch before writing anything, write
/// every file of the batch (calling <see cref="IDurabilityBatch.StartWriteback"/> after each),
/// <see cref="IDurabilityBatch.FlushFiles"/> once for all of them, <see cref="IDurabilityBatch.Move"/> each into place,
/// <see cref="IDurabilityBatch.FlushDirectories"/> once for every directory touched, and only then acknowledge or
/// record. A crash at any point leaves each target with its old content or its new, never a partial file; nothing is
/// acknowledged before it is durable.
/// </remarks>
public interface IFileDurability
{
    /// <summary>
    /// Starts a batch on the file system that holds <paramref name="directory"/>: its barriers cover (and report the
    /// failures of) everything written after this call. Dispose it when the batch is done.
    /// </summary>
    IDurabilityBatch Begin(string directory);
}

/// <summary>The steps of one batch (<see cref="IFileDurability.Begin"/>); not shared between threads.</summary>
public interface IDurabilityBatch : IDisposable
{
    /// <summary>
    /// Asks the kernel to start writing <paramref name="count"/> bytes of <paramref name="file"/> from
    /// <paramref name="offset"/> to the device, without waiting (Linux <c>sync_file_range(SYNC_FILE_RANGE_WRITE)</c>;
    /// nothing elsewhere). A hint only: it makes nothing durable, it leaves the barrier less to wait for.
    /// </summary>
    void StartWriteback(FileStream file, long offset, long count);

    /// <summary>
    /// The data barrier: when it returns, the data and size of every file in <paramref name="files"/> (written and
    /// closed by the caller since <see cref="IFileDurability.Begin"/>) are durable. Throws <see cref="IOException"/>
    /// when any of them cannot be made durable.
    /// </summary>
    void FlushFiles(IReadOnlyList<string> files, CancellationToken ct);

    /// <summary>Renames <paramref name="from"/> to <paramref name="to"/>, replacing it (atomic within one file system; not durable until its directory is flushed).</summary>
    void Move(string from, string to);

    /// <summary>
    /// The directory barrier: when it returns, the entries (creations, renames, removals) of every directory in
    /// <paramref name="directories"/> are durable. Throws <see cref="IOException"/> when any cannot be flushed.
    /// </summary>
    void FlushDirectories(IReadOnlyList<string> directories, CancellationToken ct);
}

/// <summary>How <see cref="OsFileDurability"/> raises its barriers (decision 0015 records what each measured).</summary>
public enum DurabilityBarrier
{
    /// <summary><see cref="SyncFs"/> where it reports write errors (Linux 5.8 and later), else <see cref="FsyncTogether"/>.</summary>
    Auto,

    /// <summary>One <c>fsync</c> per file (and per directory), issued together after all data is written, so the file system commits them at once.</summary>
    FsyncTogether,

    /// <summary>
    /// One <c>syncfs(2)</c> of the whole file system per barrier, through a descriptor opened when the batch begins,
    /// so a write error anywhere on it since then fails the barrier. Linux only (elsewhere <see cref="FsyncTogether"/>).
    /// It also waits for other programs' dirty pages on the same file system.
    /// </summary>
    SyncFs,
}
