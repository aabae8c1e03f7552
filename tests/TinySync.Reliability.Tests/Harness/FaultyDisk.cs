using TinySync.Client.FileSystem;
using TinySync.Client.Scanning;
using TinySync.Core.Durability;

namespace TinySync.Reliability.Tests.Harness;

/// <summary>
/// The engine's file-system seam with faults: disk full (ENOSPC) and permission denied on writes, and the client
/// process dying at any call (mid-download included: a write to the temporary file). One instance per sync cycle.
/// </summary>
public sealed class FaultyDisk(IFileSystem inner, string root, FaultProfile profile, FaultDice? dice, FaultCounts counts, CrashSwitch crash,
    Action? userEdit = null) : IFileSystem
{
    string Key(string op, string path)
    {
        var rel = Path.GetRelativePath(root, path).Replace('\\', '/');
        var name = Path.GetFileName(rel);
        if (name.StartsWith(IgnoreRules.TempPrefix, StringComparison.Ordinal)) rel = rel[..^name.Length] + "TMP";
        return op + " " + rel;
    }

    void Enter(string op, string path, bool write = false, bool canFill = false, double crashWeight = 1)
    {
        crash.ThrowIfDead();
        if (dice is null) return;
        var key = Key(op, path);
        // the scanner stats every entry: crashes there are rarer, so cycles also get far enough to die mid-transfer
        if (dice.Roll("crash", key, profile.Crash * crashWeight)) crash.Die(counts, "crash_in_fs_" + op, key);
        if (write && dice.Roll("eacces", key, profile.PermissionDenied))
        {
            counts.Add("permission_denied");
            throw new UnauthorizedAccessException($"injected: access to the path '{path}' is denied");
        }
        if (canFill && dice.Roll("enospc", key, profile.DiskFull)) throw DiskFull(path);
    }

    IOException DiskFull(string path)
    {
        counts.Add("disk_full");
        return new IOException($"injected: no space left on device : '{path}'", 28);
    }

    /// <summary>When set, the engine sees modification times rounded down to this many ns (FAT, HFS+, jiffy clocks).</summary>
    public long CoarseMtimeNs { get; init; }

    public FileStat Stat(string path)
    {
        Enter("stat", path, crashWeight: 0.1);
        var st = inner.Stat(path);
        return CoarseMtimeNs > 0 ? st with { MtimeNs = st.MtimeNs - st.MtimeNs % CoarseMtimeNs } : st;
    }

    public IEnumerable<string> List(string directory)
    {
        Enter("list", directory, crashWeight: 0.1);
        if (dice is not null && userEdit is not null && dice.Roll("user_edit", Key("list", directory), profile.MidCycleEdit)) userEdit();
        return inner.List(directory);
    }

    public Stream OpenRead(string path)
    {
        Enter("read", path, crashWeight: 0.5);
        return inner.OpenRead(path);
    }

    public Stream CreateNew(string path)
    {
        Enter("create", path, write: true, canFill: true);
        var s = inner.CreateNew(path);
        if (dice is null) return s;
        var key = Key("write", path);
        return new WriteHookStream(s, (_, _) => OnWrite(key, path));
    }

    public void Flush(Stream stream)
    {
        crash.ThrowIfDead();
        inner.Flush(stream is WriteHookStream w ? w.Inner : stream);
    }

    // Batched barriers (downloads, decision 0443): the process can die at each, as at an fsync.
    public IDurabilityBatch BeginDurability(string directory, DurabilityBarrier barrier)
    {
        crash.ThrowIfDead();
        return new HookedDurabilityBatch(inner.BeginDurability(directory, barrier), before: (_, _) => crash.ThrowIfDead());
    }

    public void Rename(string from, string to, bool overwrite)
    {
        Enter("rename", to, write: true);
        inner.Rename(from, to, overwrite);
    }

    public void FlushDirectory(string directory)
    {
        crash.ThrowIfDead();
        inner.FlushDirectory(directory);
    }

    public void DeleteFile(string path)
    {
        Enter("delete", path, write: true);
        inner.DeleteFile(path);
    }

    public void CreateDirectory(string path)
    {
        Enter("mkdir", path, write: true, canFill: true);
        inner.CreateDirectory(path);
    }

    public bool DeleteEmptyDirectory(string path)
    {
        Enter("rmdir", path, write: true);
        return inner.DeleteEmptyDirectory(path);
    }

    public void SetExecutable(string path, bool executable)
    {
        Enter("chmod", path);
        inner.SetExecutable(path, executable);
    }

    public void SetMode(string path, UnixFileMode mode)
    {
        Enter("chmod", path);
        inner.SetMode(path, mode);
    }

    public void SetMtime(string path, DateTimeOffset mtime)
    {
        Enter("utimes", path);
        inner.SetMtime(path, mtime);
    }

    void OnWrite(string key, string path)
    {
        crash.ThrowIfDead();
        if (dice is null) return;
        if (dice.Roll("crash", key, profile.Crash)) crash.Die(counts, "crash_mid_download_write", key);
        if (dice.Roll("enospc", key, profile.DiskFull)) throw DiskFull(path);
    }
}
