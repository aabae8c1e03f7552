using TinySync.Client.FileSystem;
using TinySync.Core.Durability;
using TinySync.Testing;

namespace TinySync.EndToEnd.Tests.Support;

/// <summary>A decorator over the real disk that injects faults: disk full on writes, permission denied on reads, hooks.</summary>
public sealed class FaultyFileSystem(IFileSystem inner) : IFileSystem
{
    /// <summary>When set, writes beyond this many bytes per file fail with ENOSPC.</summary>
    public long? DiskFullAfterBytes { get; set; }

    /// <summary>Paths (file names) that fail to open for reading with "permission denied".</summary>
    public HashSet<string> Unreadable { get; } = new(StringComparer.Ordinal);

    /// <summary>When set, every fsync fails (an I/O error on the durability barrier).</summary>
    public bool FlushFails { get; set; }

    int _flushes;

    /// <summary>fsyncs attempted.</summary>
    public int Flushes => Volatile.Read(ref _flushes);

    /// <summary>Called after a file was opened for reading (to modify it "while it is uploaded").</summary>
    public Action<string>? AfterOpenRead { get; set; }

    public FileStat Stat(string path) => inner.Stat(path);
    public IEnumerable<string> List(string directory) => inner.List(directory);

    public Stream OpenRead(string path)
    {
        if (Unreadable.Contains(System.IO.Path.GetFileName(path))) throw new UnauthorizedAccessException($"Access to the path '{path}' is denied.");
        var s = inner.OpenRead(path);
        AfterOpenRead?.Invoke(path);
        return s;
    }

    /// <summary>Called after a new file (a download's temp file) was created (to edit its target "during the download").</summary>
    public Action<string>? AfterCreateNew { get; set; }

    /// <summary>Paths whose delete fails with "permission denied" (a folder made read-only, say).</summary>
    public Func<string, bool>? DeleteFails { get; set; }

    public Stream CreateNew(string path)
    {
        var s = inner.CreateNew(path);
        AfterCreateNew?.Invoke(path);
        return DiskFullAfterBytes is { } limit
            ? new WriteHookStream(s, (inner, count) =>
            {
                if (inner.Length + count > limit) throw new IOException("No space left on device", 28);
            })
            : s;
    }

    public void Flush(Stream stream)
    {
        Interlocked.Increment(ref _flushes);
        if (FlushFails) throw new IOException("Input/output error (injected fsync failure)");
        inner.Flush(stream is WriteHookStream w ? w.Inner : stream);
    }
    /// <summary>When set, every directory fsync fails.</summary>
    public bool FlushDirectoryFails { get; set; }

    readonly List<string> _events = [];

    /// <summary>Renames, folder creations and directory fsyncs in the order they happened ("rename TO", "mkdir DIR", "flushdir DIR").</summary>
    public IReadOnlyList<string> Events { get { lock (_events) return [.. _events]; } }

    public void Rename(string from, string to, bool overwrite)
    {
        inner.Rename(from, to, overwrite);
        lock (_events) _events.Add("rename " + to);
    }

    public void FlushDirectory(string directory)
    {
        if (FlushDirectoryFails) throw new IOException("Input/output error (injected directory fsync failure)");
        inner.FlushDirectory(directory);
        lock (_events) _events.Add("flushdir " + directory);
    }

    // Batched barriers (downloads, decision 0443): the same faults and events as the one-at-a-time flushes above.
    public IDurabilityBatch BeginDurability(string directory, DurabilityBarrier barrier) => new HookedDurabilityBatch(inner.BeginDurability(directory, barrier),
        before: (step, paths) =>
        {
            if (step == "flushfiles")
            {
                Interlocked.Add(ref _flushes, paths.Count);
                if (FlushFails) throw new IOException("Input/output error (injected fsync failure)");
            }
            if (step == "flushdirs" && FlushDirectoryFails) throw new IOException("Input/output error (injected directory fsync failure)");
        },
        after: (step, paths) =>
        {
            if (step == "flushdirs") lock (_events) _events.AddRange(paths.Select(d => "flushdir " + d));
        });

    public void DeleteFile(string path)
    {
        if (DeleteFails?.Invoke(path) == true) throw new UnauthorizedAccessException($"Access to the path '{path}' is denied.");
        inner.DeleteFile(path);
    }
    public void CreateDirectory(string path)
    {
        inner.CreateDirectory(path);
        lock (_events) _events.Add("mkdir " + path);
    }
    public bool DeleteEmptyDirectory(string path) => inner.DeleteEmptyDirectory(path);
    public void SetExecutable(string path, bool executable) => inner.SetExecutable(path, executable);
    public void SetMode(string path, UnixFileMode mode) => inner.SetMode(path, mode);
    public void SetMtime(string path, DateTimeOffset mtime) => inner.SetMtime(path, mtime);
}
