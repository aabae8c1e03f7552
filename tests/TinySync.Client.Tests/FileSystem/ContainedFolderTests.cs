using TinySync.Client.FileSystem;

namespace TinySync.Client.Tests.FileSystem;

public sealed class ContainedFolderTests : IDisposable
{
    readonly string _temp = Directory.CreateTempSubdirectory("tinysync-contained-").FullName;
    string Root => Path.Combine(_temp, "root");
    string Outside => Path.Combine(_temp, "outside");

    public ContainedFolderTests()
    {
        foreach (var top in new[] { Root, Outside })
        {
            Directory.CreateDirectory(Path.Combine(top, "a", "b", "c"));
            File.WriteAllText(Path.Combine(top, "a", "b", "c", "f.txt"), "content of " + Path.GetFileName(top));
            File.WriteAllText(Path.Combine(top, "ok.txt"), "ok");
        }
    }

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    ContainedFolder Folder(IFileSystem? disk = null) => new(Root, disk ?? RealFileSystem.Instance);

    static List<string> Listing(string dir) =>
        Directory.EnumerateFileSystemEntries(dir, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Select(e => e + ":" + (File.Exists(e) && new FileInfo(e).LinkTarget is null ? File.ReadAllText(e) + ":" + File.GetUnixFileMode(e) : "-"))
            .Order(StringComparer.Ordinal).ToList();

    // Every operation of the seam on one path (the other side of a rename is a valid name).
    static readonly (string Name, Action<ContainedFolder, string> Call)[] Operations =
    [
        ("stat", (f, p) => f.Stat(p)),
        ("read", (f, p) => f.OpenRead(p).Dispose()),
        ("create", (f, p) => f.CreateNew(p).Dispose()),
        ("rename from", (f, p) => f.Rename(p, "renamed.txt", overwrite: false)),
        ("rename to", (f, p) => f.Rename("ok.txt", p, overwrite: true)),
        ("delete", (f, p) => f.DeleteFile(p)),
        ("mkdir", (f, p) => f.CreateDirectory(p)),
        ("rmdir", (f, p) => f.DeleteEmptyDirectory(p)),
        ("chmod +x", (f, p) => f.SetExecutable(p, true)),
        ("chmod", (f, p) => f.SetMode(p, UnixFileMode.UserRead)),
        ("utimes", (f, p) => f.SetMtime(p, DateTimeOffset.UnixEpoch)),
        ("list", (f, p) => f.List(p).ToList()),
        ("fsync dir", (f, p) => f.FlushDirectory(p)),
    ];

    public static TheoryData<string> InvalidPaths() =>
    [
        "../outside/ok.txt", "..", "a/../../outside/ok.txt", "a/b/../../../outside/x", "/etc/passwd", "/abs/x", "a\\b", "..\\outside\\ok.txt",
        "nul\0.txt", "a/\0", "cafe\u0301.txt", "a//b", "a/./b", ".", "a/", "ctl\u0001.txt",
    ];

    [Theory]
    [MemberData(nameof(InvalidPaths))]
    public void Every_kind_of_invalid_path_is_refused_by_every_operation_and_nothing_changes(string path)
    {
        var (root, outside) = (Listing(Root), Listing(Outside));
        var folder = Folder();
        foreach (var (name, call) in Operations)
        {
            Should.Throw<PathRefusedException>(() => call(folder, path), name).RelativePath.ShouldBe(path);
        }
        Listing(Root).ShouldBe(root);
        Listing(Outside).ShouldBe(outside);
    }

    [Theory]
    [InlineData("a")]
    [InlineData("a/b")]
    [InlineData("a/b/c")]
    public void A_symlink_at_any_folder_on_the_way_is_refused_by_every_operation_and_nothing_outside_changes(string linked)
    {
        // the link leads to a copy of the same structure, so following it would succeed
        Directory.Delete(Path.Combine(Root, linked), recursive: true);
        Directory.CreateSymbolicLink(Path.Combine(Root, linked), Path.Combine(Outside, linked));
        var outside = Listing(Outside);
        var folder = Folder();
        foreach (var path in new[] { "a/b/c/f.txt", "a/b/c/new.txt", "a/b/c/d/e" })
        {
            foreach (var (name, call) in Operations)
            {
                var refused = Should.Throw<PathRefusedException>(() => call(folder, path), $"{name} {path}");
                refused.Reason.ShouldContain("symbolic link");
            }
        }
        Should.Throw<PathRefusedException>(() => folder.List(linked));
        Listing(Outside).ShouldBe(outside);
        File.ResolveLinkTarget(Path.Combine(Root, linked), false).ShouldNotBeNull(); // the link itself is left alone
    }

    [Fact]
    public void A_symlink_as_the_last_component_is_never_followed()
    {
        var link = Path.Combine(Root, "a", "b", "c", "f.txt");
        File.Delete(link);
        File.CreateSymbolicLink(link, Path.Combine(Outside, "a", "b", "c", "f.txt"));
        Directory.CreateSymbolicLink(Path.Combine(Root, "dirlink"), Path.Combine(Outside, "a"));
        var outside = Listing(Outside);
        var folder = Folder();
        folder.Stat("a/b/c/f.txt").Kind.ShouldBe(EntryKind.Symlink);
        Should.Throw<IOException>(() => folder.OpenRead("a/b/c/f.txt").Dispose());
        Should.Throw<IOException>(() => folder.CreateNew("a/b/c/f.txt").Dispose());
        Should.Throw<PathRefusedException>(() => folder.SetExecutable("a/b/c/f.txt", true));
        Should.Throw<PathRefusedException>(() => folder.SetMode("a/b/c/f.txt", UnixFileMode.None));
        Should.Throw<PathRefusedException>(() => folder.SetMtime("a/b/c/f.txt", DateTimeOffset.UnixEpoch));
        Should.Throw<PathRefusedException>(() => folder.List("dirlink"));
        Should.Throw<PathRefusedException>(() => folder.DeleteEmptyDirectory("dirlink"));
        Should.Throw<PathRefusedException>(() => folder.CreateDirectory("dirlink"));
        Should.Throw<PathRefusedException>(() => folder.FlushDirectory("dirlink"));
        Should.Throw<IOException>(() => folder.Rename("ok.txt", "a/b/c/f.txt", overwrite: false)); // the link is in the way
        Listing(Outside).ShouldBe(outside);
    }

    [Fact]
    public void A_file_where_a_folder_is_expected_reads_as_missing_and_nothing_is_created_under_it()
    {
        var folder = Folder();
        folder.Stat("ok.txt/x").Kind.ShouldBe(EntryKind.Missing);
        Should.Throw<IOException>(() => folder.CreateNew("ok.txt/x").Dispose());
        Should.Throw<PathRefusedException>(() => folder.CreateDirectory("ok.txt/x"));
        File.ReadAllText(Path.Combine(Root, "ok.txt")).ShouldBe("ok");
    }

    [Fact]
    public void Creating_a_folder_makes_each_new_level_durable_in_its_parent_before_the_next()
    {
        var disk = new Recording(RealFileSystem.Instance);
        Folder(disk).CreateDirectory("x/y/z");
        disk.Events.ShouldBe([
            "mkdir " + Path.Combine(Root, "x"), "flushdir " + Root,
            "mkdir " + Path.Combine(Root, "x/y"), "flushdir " + Path.Combine(Root, "x"),
            "mkdir " + Path.Combine(Root, "x/y/z"), "flushdir " + Path.Combine(Root, "x/y"),
        ]);
        disk.Events.Clear();
        Folder(disk).CreateDirectory("x/y/z");
        disk.Events.ShouldBeEmpty(); // already there: nothing to make durable

        disk.FlushFails = true;
        Should.Throw<IOException>(() => Folder(disk).CreateDirectory("x/w")); // never ignored
    }

    [Fact]
    public void A_download_keeps_the_mode_of_the_file_it_replaces_with_the_synced_execute_bit()
    {
        var folder = Folder();
        const UnixFileMode rw = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        File.SetUnixFileMode(Path.Combine(Root, "ok.txt"), rw);
        File.WriteAllText(Path.Combine(Root, "t1"), "");
        File.WriteAllText(Path.Combine(Root, "t2"), "");
        File.WriteAllText(Path.Combine(Root, "t3"), "");
        var target = folder.Stat("ok.txt");

        folder.SetModeFor("t1", executable: false, target);
        File.GetUnixFileMode(Path.Combine(Root, "t1")).ShouldBe(rw);
        folder.SetModeFor("t2", executable: true, target);
        File.GetUnixFileMode(Path.Combine(Root, "t2")).ShouldBe(rw | UnixFileMode.UserExecute);
        var fresh = File.GetUnixFileMode(Path.Combine(Root, "t3"));
        folder.SetModeFor("t3", executable: true, replacing: null); // a new file: the default mode, plus the bit
        File.GetUnixFileMode(Path.Combine(Root, "t3")).ShouldBe(Modes.WithExecutable(fresh, true));
    }

    sealed class Recording(IFileSystem inner) : IFileSystem
    {
        public List<string> Events { get; } = [];
        public bool FlushFails { get; set; }
        public FileStat Stat(string path) => inner.Stat(path);
        public IEnumerable<string> List(string directory) => inner.List(directory);
        public Stream OpenRead(string path) => inner.OpenRead(path);
        public Stream CreateNew(string path) => inner.CreateNew(path);
        public void Flush(Stream stream) => inner.Flush(stream);
        public void Rename(string from, string to, bool overwrite) => inner.Rename(from, to, overwrite);
        public void FlushDirectory(string directory)
        {
            if (FlushFails) throw new IOException("injected: directory fsync failed");
            inner.FlushDirectory(directory);
            Events.Add("flushdir " + directory);
        }
        public void DeleteFile(string path) => inner.DeleteFile(path);
        public void CreateDirectory(string path)
        {
            inner.CreateDirectory(path);
            Events.Add("mkdir " + path);
        }
        public bool DeleteEmptyDirectory(string path) => inner.DeleteEmptyDirectory(path);
        public void SetExecutable(string path, bool executable) => inner.SetExecutable(path, executable);
        public void SetMode(string path, UnixFileMode mode) => inner.SetMode(path, mode);
        public void SetMtime(string path, DateTimeOffset mtime) => inner.SetMtime(path, mtime);
    }
}
