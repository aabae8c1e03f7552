namespace TinySync.Server.Tests.Support;

/// <summary>The repository checkout the tests run from (deploy/ units, scripts).</summary>
public static class Repository
{
    /// <summary>The directory holding TinySync.slnx.</summary>
    public static string Root { get; } = Find();

    static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "TinySync.slnx"))) return dir.FullName;
        throw new InvalidOperationException($"no TinySync.slnx above {AppContext.BaseDirectory}");
    }

    /// <summary>A tool the test environment provides (scripts/env/*.sh export it); never skipped when missing.</summary>
    public static string Tool(string variable, string script) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } v
            ? v
            : throw new InvalidOperationException(
                $"{variable} is not set: scripts/env/{script} provides it. Run ./test.sh (or `source scripts/test-env.sh; test_env_up`); these tests are never skipped.");

    /// <summary>Runs a program to its end; returns exit code, stdout and stderr.</summary>
    public static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(string file, IEnumerable<string> args, IDictionary<string, string>? env = null, TimeSpan? timeout = null)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = System.Diagnostics.Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(120));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout, await stderr);
    }
}
