using BenchmarkDotNet.Attributes;
using TinySync.Client.FileSystem;

namespace TinySync.Benchmarks.Micro;

/// <summary>
/// What the contained folder (decision 0419) costs per call: <see cref="ContainedFolder.Stat"/> of a file at depth
/// 1, 4 and 8 (one lstat per folder on the way, then the file's own), beside the bare lstat of the same file by its
/// absolute path (the peer, baseline). The scanner lists and lstats each folder's entries once per folder, so this
/// per-call figure is the cost of every engine call that names a path (downloads, renames, deletes, reads).
/// </summary>
[MemoryDiagnoser]
public class ContainedFolderBenchmarks
{
    string _root = "";
    ContainedFolder _folder = null!;
    readonly Dictionary<int, (string Rel, string Abs)> _files = [];

    [Params(1, 4, 8)]
    public int Depth { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _root = Directory.CreateTempSubdirectory("tinysync-bench-contained-").FullName;
        _folder = new ContainedFolder(_root, RealFileSystem.Instance);
        foreach (var depth in new[] { 1, 4, 8 })
        {
            var rel = string.Join('/', Enumerable.Range(1, depth - 1).Select(i => $"level{i}").Append($"file{depth}.txt"));
            var abs = Path.Combine(_root, rel);
            Directory.CreateDirectory(Path.GetDirectoryName(abs)!);
            File.WriteAllText(abs, "x");
            _files[depth] = (rel, abs);
        }
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_root, recursive: true);

    [Benchmark(Baseline = true, Description = "lstat by absolute path (no checks)")]
    public FileStat Bare() => RealFileSystem.Instance.Stat(_files[Depth].Abs);

    [Benchmark(Description = "ContainedFolder.Stat (validate, lstat each folder, lstat)")]
    public FileStat Contained() => _folder.Stat(_files[Depth].Rel);
}
