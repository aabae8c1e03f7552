using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace TinySync.Testing;

/// <summary>
/// The real <c>tinysync-server</c> as a separate OS process on a loopback port: for restarts, <c>kill -9</c> and
/// start-up errors. The server assembly is the one this test project references (copied beside the tests). The port
/// is fixed at construction, so a restarted process answers on the same address.
/// </summary>
public sealed class ServerProcess : IRunningServer, IAsyncDisposable
{
    readonly Dictionary<string, string> _env;
    readonly TempDir? _ownedDir;
    Process? _process;
    readonly System.Text.StringBuilder _output = new();

    /// <summary>A server on <paramref name="dataDir"/>, or on a temp data directory of its own (deleted on dispose).</summary>
    public ServerProcess(string? dataDir = null, Dictionary<string, string>? env = null)
    {
        if (dataDir is null) _ownedDir = new TempDir("tinysync-serverproc");
        DataDir = dataDir ?? _ownedDir!.Sub("data");
        _env = env ?? [];
        _env.TryAdd("TINYSYNC_ADMIN_TOKEN", TestServer.AdminTokenValue);
        foreach (var (k, v) in TestServer.TestLimits) _env.TryAdd(k, v);
        Port = FreePort();
    }

    public string DataDir { get; }

    /// <summary>Environment variables of the process (set before <see cref="StartAsync"/>).</summary>
    public IDictionary<string, string> Environment => _env;

    /// <summary>Arguments after <c>--urls</c> (e.g. <c>--TinySync:Key=value</c>).</summary>
    public List<string> Arguments { get; } = [];

    /// <summary>The process's working directory (its content root: where appsettings.json is read); null inherits.</summary>
    public string? WorkingDirectory { get; set; }
    public int Port { get; private set; }
    public Uri BaseAddress => new($"http://127.0.0.1:{Port}/");
    public string Url => $"http://127.0.0.1:{Port}";
    /// <summary>The admin token: the one set, or the one the server generated into its data directory.</summary>
    public string AdminToken => _env["TINYSYNC_ADMIN_TOKEN"] is { Length: > 0 } set ? set : File.ReadAllText(Path.Combine(DataDir, "admin-token")).Trim();
    public string Output { get { lock (_output) return _output.ToString(); } }

    public static string ServerDll => Path.Combine(AppContext.BaseDirectory, "tinysync-server.dll");

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>Starts the process and waits until /healthz answers (the deadline only bounds a failure).</summary>
    public async Task StartAsync(TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(ServerDll);
        psi.ArgumentList.Add("--urls");
        psi.ArgumentList.Add($"http://127.0.0.1:{Port}");
        Prepare(psi);
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"server exited with {_process.ExitCode}: {Output}");
            try
            {
                if ((await http.GetAsync("healthz")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(50);
        }
        throw new TimeoutException($"server did not become healthy: {Output}");
    }

    /// <summary>Runs the server expecting it to fail at start-up; returns its exit code and output.</summary>
    public async Task<(int ExitCode, string Output)> RunExpectingFailureAsync()
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(ServerDll);
        psi.ArgumentList.Add("--urls");
        psi.ArgumentList.Add($"http://127.0.0.1:{Port}");
        Prepare(psi);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout + await stderr);
    }

    void Prepare(ProcessStartInfo psi)
    {
        foreach (var a in Arguments) psi.ArgumentList.Add(a);
        if (WorkingDirectory is not null) psi.WorkingDirectory = WorkingDirectory;
        psi.Environment["TINYSYNC_DATA_DIR"] = DataDir;
        foreach (var (k, v) in _env) psi.Environment[k] = v;
    }

    /// <summary>SIGTERM and wait: the graceful stop a service manager does.</summary>
    public async Task StopAsync()
    {
        if (_process is not { HasExited: false } p) return;
        using (var kill = Process.Start("kill", ["-TERM", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await p.WaitForExitAsync(cts.Token);
    }

    /// <summary>SIGKILL: no shutdown hooks, no flush.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false }) _process.Kill(entireProcessTree: true);
        _process?.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        _process?.Dispose();
        _ownedDir?.Dispose();
        await Task.CompletedTask;
    }
}
