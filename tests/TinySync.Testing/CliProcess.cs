using System.Diagnostics;

namespace TinySync.Testing;

/// <summary>Runs the real <c>tinysync</c> (the CLI assembly copied beside the tests) as an OS process.</summary>
public static class CliProcess
{
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "tinysync.dll");

    public static ProcessStartInfo Start(string home, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["TINYSYNC_HOME"] = home;
        psi.Environment.Remove("TINYSYNC_ADMIN_TOKEN");
        return psi;
    }

    public static Task<(int Code, string Out, string Err)> RunAsync(string home, params string[] args) => RunWithInputAsync(home, null, args);

    /// <summary>Runs with <paramref name="stdin"/> written to its standard input (then closed).</summary>
    public static async Task<(int Code, string Out, string Err)> RunWithInputAsync(string home, string? stdin, params string[] args)
    {
        var psi = Start(home, args);
        psi.RedirectStandardInput = stdin is not null;
        using var p = Process.Start(psi)!;
        if (stdin is not null)
        {
            await p.StandardInput.WriteAsync(stdin);
            p.StandardInput.Close();
        }
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout, await stderr);
    }
}
