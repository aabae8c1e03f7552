using System.CommandLine;
using TinySync.Client.Daemon;
using TinySync.Client.State;
using TinySync.Client.Status;

namespace TinySync.Cli;

/// <summary>
/// <c>tinysync pause DIR</c> and <c>resume DIR</c> (decision 0452): a marker in the link's state, honoured by
/// <c>sync</c> and by a running daemon, which is told at once through its control socket.
/// </summary>
internal static class PauseCommands
{
    public static void AddTo(RootCommand root)
    {
        root.Subcommands.Add(Create("pause", "Pause syncing a linked folder (kept across restarts; a round in progress finishes)", pause: true));
        root.Subcommands.Add(Create("resume", "Resume syncing a paused folder (a running daemon syncs it at once)", pause: false));
    }

    static Command Create(string name, string description, bool pause)
    {
        var dir = new Argument<string>("DIR") { Description = "A linked folder (see `tinysync status`)" };
        var cmd = new Command(name, description) { dir };
        cmd.SetAction(async (p, ct) =>
        {
            var state = CliApp.State(p);
            var link = state.FindLink(p.GetValue(dir)!);
            var changed = pause ? state.Pause(link) : state.Resume(link);
            var daemon = await TellDaemonAsync(state, link, ct);
            if (!changed)
            {
                Term.Out(pause ? $"{link.Directory} was already paused; `tinysync resume {link.Directory}` to continue" : $"{link.Directory} was not paused");
                return ExitCodes.Ok;
            }
            Term.Out(pause switch
            {
                true when daemon is { } pid => $"paused {link.Directory}; the daemon (pid {pid}) finishes its current round and starts no other; `tinysync resume {link.Directory}` to continue",
                true => $"paused {link.Directory}; `tinysync sync` and `tinysync daemon` skip it until `tinysync resume {link.Directory}`",
                false when daemon is { } pid => $"resumed {link.Directory}; the daemon (pid {pid}) syncs it now",
                false => $"resumed {link.Directory}; run `tinysync sync` or `tinysync daemon`",
            });
            return ExitCodes.Ok;
        });
        return cmd;
    }

    // The marker is the truth; the wake only spares the daemon its periodic re-read. A daemon that does not answer
    // still notices within its re-read interval.
    internal static async Task<int?> TellDaemonAsync(StateDirectory state, Link link, CancellationToken ct)
    {
        try
        {
            return (await ControlSocket.AskAsync(state, new ControlRequest("wake", link.LinkId), ct))?.Pid;
        }
        catch (ClientException e)
        {
            Term.Err($"tinysync: warning: {e.Message}");
            return null;
        }
    }
}
