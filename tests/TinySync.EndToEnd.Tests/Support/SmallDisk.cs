using System.Diagnostics;

namespace TinySync.EndToEnd.Tests.Support;

/// <summary>
/// A real, small file system (tmpfs with a size limit) mounted on a temp directory, to fill up for disk-full tests.
/// Needs root (as the project's machines and CI run); unmounted on dispose.
/// </summary>
public sealed class SmallDisk : IDisposable
{
    SmallDisk(string path) => Path = path;

    public string Path { get; }

    public static SmallDisk Mount(string path, int megabytes)
    {
        Directory.CreateDirectory(path);
        var (code, err) = Run("mount", "-t", "tmpfs", "-o", $"size={megabytes}m", "tmpfs", path);
        code.ShouldBe(0, $"mounting a {megabytes} MiB tmpfs on {path} failed (this test needs root): {err}");
        return new SmallDisk(path);
    }

    /// <summary>Writes a filler file until the file system refuses (ENOSPC).</summary>
    public void Fill()
    {
        var filler = System.IO.Path.Combine(Path, "filler");
        var block = new byte[4096];
        try
        {
            using var f = new FileStream(filler, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.WriteThrough);
            while (true) f.Write(block);
        }
        catch (IOException) { }
        new DriveInfo(Path).AvailableFreeSpace.ShouldBeLessThan(4096);
    }

    public void Free() => File.Delete(System.IO.Path.Combine(Path, "filler"));

    public void Dispose() => Run("umount", "-l", Path);

    static (int Code, string Err) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, err);
    }
}
