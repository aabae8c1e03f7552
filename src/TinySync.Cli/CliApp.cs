using System.CommandLine;
using TinySync.Client.Index;
using TinySync.Client.State;
using TinySync.Core.Identity;
using TinySync.Management;

namespace TinySync.Cli;

/// <summary>The command tree and the mapping of failures to one-line messages and exit codes.</summary>
public static class CliApp
{
    /// <summary><c>--home DIR</c>: the state directory (recursive: valid on every command).</summary>
    internal static readonly Option<string?> Home = new("--home")
    {
        Description = "State directory (identity, links, indexes). Default: $TINYSYNC_HOME, else $XDG_STATE_HOME/tinysync, else ~/.local/state/tinysync",
        Recursive = true,
    };

    /// <summary><c>--verbose</c>: print informational engine messages too.</summary>
    internal static readonly Option<bool> Verbose = new("--verbose", "-v") { Description = "Print what the engine does, not only warnings", Recursive = true };

    /// <summary>Builds the command tree.</summary>
    public static RootCommand Build()
    {
        var root = new RootCommand("""
            tinysync: sync local folders with TinySync vaults.

            Start with `tinysync register --server URL --name NAME` (or `tinysync login --server URL --token TOKEN`
            with a token your platform issued), then `tinysync vaults`, `tinysync link VAULT DIR`, and `tinysync sync`
            or `tinysync daemon`. Exit codes: 0 ok, 1 error, 2 usage, 3 not converged (run again), 4 not authorized.
            """);
        root.Options.Add(Home);
        root.Options.Add(Verbose);
        DeviceCommands.AddTo(root);
        root.Subcommands.Add(AdminCommands.Build());
        return root;
    }

    /// <summary>Parses and runs; never throws.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var root = Build();
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors) Console.Error.WriteLine("tinysync: " + e.Message);
            Console.Error.WriteLine("tinysync: run `tinysync --help` (or `tinysync COMMAND --help`) for usage");
            return ExitCodes.Usage;
        }
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }, cts.Token);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            Console.Error.WriteLine("tinysync: interrupted; run the command again to finish (nothing is left half-written)");
            return ExitCodes.NotConverged;
        }
        catch (Exception e)
        {
            var (code, message) = Describe(e);
            Console.Error.WriteLine("tinysync: " + DeviceToken.RedactAll(message));
            return code;
        }
    }

    /// <summary>One line and an exit code for any failure.</summary>
    internal static (int Code, string Message) Describe(Exception e) => e switch
    {
        DeviceRevokedException r => (ExitCodes.Auth, r.Message),
        ClientException { Code: "not_registered" } c => (ExitCodes.Auth, c.Message),
        ServerUnavailableException s => (ExitCodes.NotConverged, s.Message),
        ServerInconsistentException s => (ExitCodes.NotConverged, s.Message),
        IndexUnavailableException { RetryLater: true } i => (ExitCodes.NotConverged, i.Message),
        ClientException c => (ExitCodes.Error, c.Message),
        TinySyncUnavailableException u => (ExitCodes.NotConverged, $"the server is unreachable ({u.Message}); check the URL or run the server"),
        TinySyncUnauthorizedException u => (ExitCodes.Auth, $"the server refused the admin token ({u.Code}); pass the right one with --admin-token or TINYSYNC_ADMIN_TOKEN"),
        TinySyncApiException a => (ExitCodes.Error, $"the server refused the request ({a.Code}: {a.Detail ?? a.Message})"),
        UnauthorizedAccessException u => (ExitCodes.Error, $"permission denied ({u.Message}); check the permissions or choose another --home"),
        IOException io => (ExitCodes.Error, $"{io.Message}; check the disk and the permissions"),
        _ => (ExitCodes.Error, $"unexpected error ({e.GetType().Name}: {e.Message}); please report it"),
    };

    /// <summary>The state directory for a parse result.</summary>
    internal static StateDirectory State(ParseResult p) => StateDirectory.Resolve(p.GetValue(Home));
}
