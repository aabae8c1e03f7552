using TinySync.Client.Engine;
using TinySync.Client.FileSystem;
using TinySync.Client.Index;
using TinySync.Client.Scanning;
using TinySync.Core.Chunking;
using TinySync.Core.Contracts;

namespace TinySync.Client.Tests.Scanning;

public sealed class ScannerTests : IDisposable
{
    readonly string _root = Directory.CreateTempSubdirectory("tinysync-scan-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Unchanged_files_are_not_hashed_again_and_changed_ones_are()
    {
        File.WriteAllText(Path.Combine(_root, "a.txt"), "hello");
        Directory.CreateDirectory(Path.Combine(_root, "empty"));
        var stats = new SyncStats();
        var scanner = new Scanner(RealFileSystem.Instance, NullObserver.Instance, stats);
        var first = scanner.Scan(_root, new Dictionary<string, LocalState>(), default);
        first.Local["a.txt"].Hashes.ShouldBe([ChunkHash.Compute("hello"u8)]);
        first.Local["empty"].Kind.ShouldBe(ItemKind.Dir);
        stats.FilesHashed.ShouldBe(1);

        scanner.Scan(_root, first.Local, default);
        stats.FilesHashed.ShouldBe(1);

        File.WriteAllText(Path.Combine(_root, "a.txt"), "hello, world");
        var third = scanner.Scan(_root, first.Local, default);
        stats.FilesHashed.ShouldBe(2);
        third.Local["a.txt"].Size.ShouldBe(12);
    }

    [Fact]
    public void A_same_size_rewrite_within_the_recording_scans_timestamp_tick_is_hashed_again()
    {
        // reliability seeds 9006, 9019, 9027 (1 s timestamps): the rewrite kept size, inode and mtime, so it was never seen
        var path = Path.Combine(_root, "a.txt");
        var mtime = new DateTime(2026, 11, 22, 10, 0, 0, DateTimeKind.Utc);
        File.WriteAllText(path, "hello");
        File.SetLastWriteTimeUtc(path, mtime);
        var stats = new SyncStats();
        var scanner = new Scanner(RealFileSystem.Instance, NullObserver.Instance, stats);
        var first = scanner.Scan(_root, new Dictionary<string, LocalState>(), default);
        File.WriteAllText(path, "jello");
        File.SetLastWriteTimeUtc(path, mtime); // what a coarse clock does: the same timestamp as when it was scanned
        var recordedNs = first.Local["a.txt"].MtimeNs;

        scanner.Scan(_root, first.Local, default).Local["a.txt"].Hashes.ShouldBe([ChunkHash.Compute("hello"u8)]); // trusted: missed
        // whole-second mtimes come from a coarse clock: within 2 s of the recording scan's start, hash again
        var racy = scanner.Scan(_root, first.Local, default, previousScanStartNs: recordedNs + 1_500_000_000);
        racy.Local["a.txt"].Hashes.ShouldBe([ChunkHash.Compute("jello"u8)]);
        scanner.Scan(_root, first.Local, default, previousScanStartNs: recordedNs + 2_000_000_001).Local["a.txt"].Hashes.ShouldBe([ChunkHash.Compute("hello"u8)]);
        stats.FilesHashed.ShouldBe(2);
    }

    [Fact]
    public void Symlinks_are_skipped_with_a_warning_and_the_exec_bit_is_seen()
    {
        var script = Path.Combine(_root, "run.sh");
        File.WriteAllText(script, "#!/bin/sh");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.CreateSymbolicLink(Path.Combine(_root, "link"), script);
        var observer = new Collect();
        var scan = new Scanner(RealFileSystem.Instance, observer, new SyncStats()).Scan(_root, new Dictionary<string, LocalState>(), default);
        scan.Local.ContainsKey("link").ShouldBeFalse();
        scan.Local["run.sh"].Executable.ShouldBeTrue();
        observer.Lines.ShouldContain(l => l.Contains("symbolic link", StringComparison.Ordinal));
    }

    [Fact]
    public void Names_other_platforms_cannot_hold_are_reported_once_across_scans_kept_and_never_read_as_deleted()
    {
        File.WriteAllText(Path.Combine(_root, "aux.txt"), "device name");
        File.WriteAllText(Path.Combine(_root, "a:b"), "colon");
        Directory.CreateDirectory(Path.Combine(_root, "trailing."));
        File.WriteAllText(Path.Combine(_root, "trailing.", "inside.txt"), "under a bad folder");
        File.WriteAllText(Path.Combine(_root, "ünïcødé ファイル 🎉.txt"), "fine");
        var observer = new Collect();
        var reported = new UnsyncableNames();
        var scanner = new Scanner(RealFileSystem.Instance, observer, new SyncStats(), reported);

        var first = scanner.Scan(_root, new Dictionary<string, LocalState>(), default);
        var second = new Scanner(RealFileSystem.Instance, observer, new SyncStats(), reported).Scan(_root, first.Local, default);

        foreach (var scan in new[] { first, second })
        {
            scan.Local.Keys.ShouldBe(["ünïcødé ファイル 🎉.txt"]);
            scan.Unsyncable.ShouldBe(["a:b", "aux.txt", "trailing."], ignoreOrder: true);
            scan.IsUnknown("aux.txt").ShouldBeTrue("its absence from the scan is never a delete");
            scan.IsUnknown("trailing./inside.txt").ShouldBeTrue();
        }
        observer.Lines.Count(l => l.Contains("not synced:", StringComparison.Ordinal)).ShouldBe(3, "once per name, not every round");
        observer.Lines.ShouldContain(l => l.Contains("aux.txt not synced: the name 'aux.txt' is the Windows device name AUX", StringComparison.Ordinal));
        File.Exists(Path.Combine(_root, "aux.txt")).ShouldBeTrue();

        File.Delete(Path.Combine(_root, "a:b"));
        new Scanner(RealFileSystem.Instance, observer, new SyncStats(), reported).Scan(_root, second.Local, default);
        File.WriteAllText(Path.Combine(_root, "a:b"), "back");
        new Scanner(RealFileSystem.Instance, observer, new SyncStats(), reported).Scan(_root, second.Local, default);
        observer.Lines.Count(l => l.Contains("a:b not synced:", StringComparison.Ordinal)).ShouldBe(2, "a name that comes back is reported again");
    }

    sealed class Collect : ISyncObserver
    {
        public List<string> Lines { get; } = [];
        public void Message(MessageLevel level, string text) => Lines.Add(text);
        public void Progress(string phase, long done, long total) { }
    }
}
