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
        root.Subcommands.Add(CompletionCommand.Build());
        return root;
    }

    /// <summary>Parses and runs; never throws.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var root = Build();
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            // "Required command was not provided" only repeats what an unknown command already says
            var errors = parse.Errors.Count > 1 ? parse.Errors.Where(e => !e.Message.StartsWith("Required command", StringComparison.Ordinal)) : parse.Errors;
            foreach (var e in errors) Term.Err("tinysync: " + e.Message);
            foreach (var s in Typos.Suggest(parse)) Term.Err($"tinysync: did you mean `{s}`?");
            if (!errors.All(e => e.Message.Contains('`', StringComparison.Ordinal))) // our own messages already name the next step
                Term.Err("tinysync: run `tinysync --help` (or `tinysync COMMAND --help`) for usage");
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
            Term.Err("tinysync: interrupted; run the command again to finish (nothing is left half-written)");
            return ExitCodes.NotConverged;
        }
        catch (Exception e)
        {
            var (code, message) = Describe(e);
            Term.Err("tinysync: " + DeviceToken.RedactAll(message));
            return code;
        }
    }

    /// <summary>One line and an exit code for any failure.</summary>
    internal static (int Code, string Message) Describe(Exception e) => e switch
    {
        _ when Tls(e) is { } tls => (ExitCodes.Error, tls),
        DeviceRevokedException r => (ExitCodes.Auth, r.Message),
        ClientException { Code: "not_registered" } c => (ExitCodes.Auth, c.Message),
        ServerUnavailableException s => (ExitCodes.NotConverged, s.Message),
        ServerInconsistentException s => (ExitCodes.NotConverged, s.Message),
        IndexUnavailableException { RetryLater: true } i => (ExitCodes.NotConverged, i.Message),
        ClientException c => (ExitCodes.Error, c.Message),
        TinySyncUnavailableException u => (ExitCodes.NotConverged, $"the server is unreachable ({u.Message}); check the URL or run the server"),
        TinySyncUnauthorizedException u => (ExitCodes.Auth, $"the server refused the admin token ({u.Code}); pass the right one with --admin-token-file, --admin-token or TINYSYNC_ADMIN_TOKEN"),
        TinySyncApiException a => (ExitCodes.Error, $"the server refused the request ({a.Code}: {a.Detail ?? a.Message})"),
        UnauthorizedAccessException u => (ExitCodes.Error, $"permission denied ({u.Message}); check the permissions or choose another --home"),
        IOException io => (ExitCodes.Error, $"{io.Message}; check the disk and the permissions"),
        _ => (ExitCodes.Error, $"unexpected error ({e.GetType().Name}: {e.Message}); please report it"),
    };

    // A TLS handshake that failed (the management client wraps it): usually https:// against a plain-HTTP port.
    static string? Tls(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
        {
            if (x is HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError } h)
            {
                Exception last = h;
                while (last.InnerException is not null) last = last.InnerException;
                return $"no TLS handshake with the server ({last.Message.TrimEnd('.')}); if it speaks plain HTTP on that port, use http:// instead of https://";
            }
        }
        return null;
    }

    /// <summary>The state directory for a parse result.</summary>
    internal static StateDirectory State(ParseResult p) => StateDirectory.Resolve(p.GetValue(Home));
}
