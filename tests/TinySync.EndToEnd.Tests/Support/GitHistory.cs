using System.Diagnostics;
using System.Formats.Tar;

namespace TinySync.EndToEnd.Tests.Support;

/// <summary>
/// This repository's own git history, for replaying real commits into a synced folder. The repository is found by
/// asking git from the test's own directory (tests/…/bin/…, inside the clone or worktree CI and developers build in),
/// or from <c>TINYSYNC_REPLAY_REPO</c>. A shallow clone replays the commits it has (at least HEAD).
/// </summary>
public sealed class GitHistory
{
    GitHistory(string root, bool shallow)
    {
        Root = root;
        Shallow = shallow;
    }

    public string Root { get; }
    public bool Shallow { get; }

    public static GitHistory Find()
    {
        var start = Environment.GetEnvironmentVariable("TINYSYNC_REPLAY_REPO") ?? AppContext.BaseDirectory;
        var (code, top, err) = Text(start, "rev-parse", "--show-toplevel");
        code.ShouldBe(0, $"the history replay needs this repository's git history: run the tests inside a git clone, or point TINYSYNC_REPLAY_REPO at one ({err.Trim()})");
        var root = top.Trim();
        return new GitHistory(root, Text(root, "rev-parse", "--is-shallow-repository").Out.Trim() == "true");
    }

    /// <summary>The newest <paramref name="count"/> commits reachable from HEAD (all when null), oldest first, in
    /// topological order: merged branches are replayed commit by commit, as a checkout switching between them.</summary>
    public IReadOnlyList<string> Commits(int? count)
    {
        string[] args = count is { } n ? ["rev-list", "--topo-order", "--reverse", "-n", n.ToString(System.Globalization.CultureInfo.InvariantCulture), "HEAD"]
            : ["rev-list", "--topo-order", "--reverse", "HEAD"];
        var (code, output, err) = Text(Root, args);
        code.ShouldBe(0, err);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    public string Subject(string commit) => Text(Root, "log", "-1", "--format=%h %s", commit).Out.Trim();

    /// <summary>The commit's tree as <c>git archive</c> writes it, extracted into the empty directory <paramref name="into"/>.</summary>
    public void Extract(string commit, string into)
    {
        var psi = Start(Root, "archive", "--format=tar", commit);
        using var p = Process.Start(psi)!;
        var tar = new MemoryStream();
        var err = p.StandardError.ReadToEndAsync();
        p.StandardOutput.BaseStream.CopyTo(tar);
        p.WaitForExit();
        p.ExitCode.ShouldBe(0, err.Result);
        tar.Position = 0;
        Directory.CreateDirectory(into);
        TarFile.ExtractToDirectory(tar, into, overwriteFiles: false);
    }

    static ProcessStartInfo Start(string dir, params string[] args)
    {
        var psi = new ProcessStartInfo("git") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        return psi;
    }

    static (int Code, string Out, string Err) Text(string dir, params string[] args)
    {
        try
        {
            using var p = Process.Start(Start(dir, args))!;
            var err = p.StandardError.ReadToEndAsync();
            var output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, output, err.Result);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, "", "git is not installed: " + e.Message);
        }
    }
}
