using System.CommandLine;
using TinySync.Client;
using TinySync.Client.Daemon;
using TinySync.Client.Engine;
using TinySync.Client.State;
using TinySync.Client.Status;

namespace TinySync.Cli;

/// <summary>
/// <c>tinysync select DIR [--only PATH… | --exclude PATH… | --all]</c>: which part of the vault this folder holds
/// (selective sync, decisions 0453–0454). Without an option it prints the selection.
/// </summary>
internal static class SelectCommand
{
    public static Command Create()
    {
        var dir = new Argument<string>("DIR") { Description = "A linked folder (see `tinysync status`)" };
        var only = new Option<string[]>("--only") { Description = "Hold only these folders or files (paths in the vault, e.g. docs/reports)", AllowMultipleArgumentsPerToken = true };
        var exclude = new Option<string[]>("--exclude") { Description = "Hold everything except these folders or files", AllowMultipleArgumentsPerToken = true };
        var all = new Option<bool>("--all") { Description = "Hold the whole vault again" };
        var cmd = new Command("select", "Choose which folders of the vault this linked folder holds (selective sync); without an option, print the selection")
        {
            dir, only, exclude, all,
        };
        cmd.SetAction(async (p, ct) =>
        {
            var state = CliApp.State(p);
            var link = state.FindLink(p.GetValue(dir)!);
            var client = new TinySyncClient(state);
            string[]? onlyPaths = p.GetValue(only), excludePaths = p.GetValue(exclude);
            var given = (onlyPaths is { Length: > 0 } ? 1 : 0) + (excludePaths is { Length: > 0 } ? 1 : 0) + (p.GetValue(all) ? 1 : 0);
            if (given == 0 && (p.GetResult(only) is not null || p.GetResult(exclude) is not null))
            {
                Term.Err("tinysync: --only and --exclude need at least one path, e.g. `tinysync select DIR --only docs`");
                return ExitCodes.Usage;
            }
            if (given == 0)
            {
                Term.Out($"{link.Directory}: {client.GetSelection(link)}");
                return ExitCodes.Ok;
            }
            if (given > 1)
            {
                Term.Err("tinysync: give one of --only, --exclude or --all");
                return ExitCodes.Usage;
            }
            var to = p.GetValue(all) ? Selection.All
                : onlyPaths is { Length: > 0 } ? Selection.Create(SelectionMode.Only, onlyPaths.Select(x => InVault(link, x)))
                : Selection.Create(SelectionMode.Exclude, excludePaths!.Select(x => InVault(link, x)));
            var outcome = client.ChangeSelection(link, to, ct);
            if (outcome.Refused is { } item)
            {
                Term.Err($"tinysync: cannot leave out {Path.Combine(link.Directory, item.Path)}: {item.Reason}; run `tinysync sync` to upload it "
                    + "(or move it into the selection), then select again; nothing was changed");
                return ExitCodes.Error;
            }
            Term.Out($"{link.Directory}: {to}");
            if (state.IsPaused(link))
            {
                Term.Out($"{link.Directory} is paused; the selection applies after `tinysync resume {link.Directory}`");
                return ExitCodes.Ok;
            }
            if (await PauseCommands.TellDaemonAsync(state, link, ct) is { } pid)
            {
                Term.Out($"the daemon (pid {pid}) applies it now");
                return ExitCodes.Ok;
            }
            using var observer = new ConsoleObserver(p.GetValue(CliApp.Verbose));
            var result = await observer.RunAsync(() => client.SyncLinkAsync(link, observer, ct));
            Term.Out(result.Converged ? $"{link.Directory}: in sync" : $"{link.Directory}: not converged; run `tinysync sync` again");
            foreach (var line in result.Pending.Take(20)) Term.Out("  " + line);
            Term.Out(observer.Summary.Line());
            return result.Converged ? ExitCodes.Ok : ExitCodes.NotConverged;
        });
        return cmd;
    }

    // A path in the vault as given, or a path on this machine inside the linked folder.
    static string InVault(Link link, string path)
    {
        if (!Path.IsPathRooted(path)) return path;
        var rel = Path.GetRelativePath(link.Directory, Path.GetFullPath(path));
        if (rel == "." || rel.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(rel))
        {
            throw new ClientException("invalid_selection", $"{path} is not inside {link.Directory}; give paths in the vault (e.g. docs/reports) or inside the linked folder");
        }
        return rel.Replace(Path.DirectorySeparatorChar, '/');
    }
}
