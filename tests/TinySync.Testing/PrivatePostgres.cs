using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace TinySync.Testing;

/// <summary>
/// A PostgreSQL cluster of one test's own (same recipe as scripts/env/postgres.sh), for faults that would disturb
/// every other test on the shared cluster: stopping and restarting the server under load.
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    const string Bin = "/usr/lib/postgresql/15/bin";
    readonly string _dir;

    PrivatePostgres(string dir, int port)
    {
        _dir = dir;
        Port = port;
    }

    public int Port { get; }

    /// <summary>Connection string of database <c>tinysync</c>.</summary>
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=tinysync";

    public static async Task<PrivatePostgres> StartAsync()
    {
        if (!File.Exists(Path.Combine(Bin, "initdb")))
            throw new InvalidOperationException($"{Bin} is missing: run ./test.sh (scripts/env/postgres.sh installs PostgreSQL)");
        var dir = Path.Combine(Path.GetTempPath(), "tinysync-pg-" + Guid.NewGuid().ToString("N"));
        int port;
        using (var l = new TcpListener(IPAddress.Loopback, 0))
        {
            l.Start();
            port = ((IPEndPoint)l.LocalEndpoint).Port;
        }
        await RunAsync($"install -d -o postgres -g postgres -m 700 {dir} {dir}/data {dir}/run");
        await RunAsync($"runuser -u postgres -- {Bin}/initdb -D {dir}/data -U postgres --auth=trust -E UTF8 --no-locale --no-sync");
        await File.AppendAllTextAsync($"{dir}/data/postgresql.conf",
            $"listen_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{dir}/run'\nfsync = off\nmax_connections = 200\n");
        var pg = new PrivatePostgres(dir, port);
        await pg.PgCtlAsync("start");
        await RunAsync($"{Bin}/psql -h 127.0.0.1 -p {port} -U postgres -qc 'CREATE DATABASE tinysync'");
        return pg;
    }

    /// <summary>pg_ctl start | stop -m fast | restart -m fast ...</summary>
    public Task PgCtlAsync(string args) =>
        RunAsync($"runuser -u postgres -- {Bin}/pg_ctl -D {_dir}/data -l {_dir}/server.log -w -t 30 {args}");

    static async Task RunAsync(string command)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(command);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException($"`{command}` failed ({p.ExitCode}): {await stdout}{await stderr}");
    }

    public async ValueTask DisposeAsync()
    {
        Npgsql.NpgsqlConnection.ClearAllPools();
        try { await PgCtlAsync("-m immediate stop"); }
        catch (InvalidOperationException) { }
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { }
    }
}
