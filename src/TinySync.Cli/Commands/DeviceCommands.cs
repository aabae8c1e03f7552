using System.CommandLine;
using System.Globalization;
using TinySync.Cli.Json;
using TinySync.Client;
using TinySync.Client.Api;
using TinySync.Client.Daemon;
using TinySync.Client.Engine;
using TinySync.Client.State;
using TinySync.Client.Status;

namespace TinySync.Cli;

/// <summary>The end-user commands.</summary>
internal static class DeviceCommands
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static void AddTo(RootCommand root)
    {
        IdentityCommands.AddTo(root);
        root.Subcommands.Add(Vaults());
        root.Subcommands.Add(LinkCommand());
        root.Subcommands.Add(Unlink());
        root.Subcommands.Add(Sync());
        root.Subcommands.Add(DaemonCommand());
        root.Subcommands.Add(StatusCommand.Create());
        PauseCommands.AddTo(root);
        root.Subcommands.Add(SelectCommand.Create());
        root.Subcommands.Add(Conflicts());
        root.Subcommands.Add(History());
        root.Subcommands.Add(Restore());
        root.Subcommands.Add(DeletedCommand.Create());
    }

    static Command Vaults()
    {
        var json = CliJson.Option();
        var cmd = new Command("vaults", "List the vaults this device reaches (with containers), and which folder each is linked to") { json };
        cmd.SetAction(async (p, ct) =>
        {
            var state = CliApp.State(p);
            var id = state.RequireIdentity();
            using var api = DeviceApiClient.For(id, RetryPolicy.None);
            var me = await api.GetMeAsync(ct);
            var links = state.LoadLinks();
            if (p.GetValue(json))
            {
                CliJson.Write(new VaultsJson([.. me.Vaults.Select(v => new VaultJson(v.VaultId, v.Name, v.Head,
                    [.. v.Containers.Select(c => c.Name).DefaultIfEmpty("default")],
                    [.. links.Where(l => l.VaultId == v.VaultId).Select(l => new LinkRefJson(l.Directory, l.Container))]))]));
                return ExitCodes.Ok;
            }
            if (me.Vaults.Count == 0) Term.Out("no vault reachable yet: the device must be in a group that has a vault");
            foreach (var v in me.Vaults)
            {
                var linked = links.Where(l => l.VaultId == v.VaultId).Select(l => $"{l.Directory} ({l.Container})").ToList();
                Term.Out($"{v.VaultId}  {v.Name}  head={v.Head}  containers={string.Join(",", v.Containers.Select(c => c.Name).DefaultIfEmpty("default"))}"
                    + (linked.Count > 0 ? "  linked: " + string.Join(", ", linked) : ""));
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }

    static Command LinkCommand()
    {
        var vault = new Argument<string>("VAULT") { Description = "Vault id or name (see `tinysync vaults`)" };
        var dir = new Argument<string>("DIR") { Description = "Local folder to sync (created if missing)" };
        var container = new Option<string>("--container") { Description = "Container of the vault to sync", DefaultValueFactory = _ => "default" };
        var cmd = new Command("link", "Link a local folder to a vault; refuses a folder already linked or inside another link") { vault, dir, container };
        cmd.SetAction(async (p, ct) =>
        {
            var state = CliApp.State(p);
            var id = state.RequireIdentity();
            var path = Path.GetFullPath(p.GetValue(dir)!);
            if (File.Exists(path))
                throw new ClientException("not_a_folder", $"{path} is a file, not a folder; link a folder (an existing one, or a new name to create it)");
            using var api = DeviceApiClient.For(id, RetryPolicy.None);
            var me = await api.GetMeAsync(ct);
            var wanted = p.GetValue(vault)!;
            var matches = me.Vaults.Where(v => v.VaultId.ToString() == wanted.ToLowerInvariant() || string.Equals(v.Name, wanted, StringComparison.Ordinal)).ToList();
            if (matches.Count == 0) throw new ClientException("vault_not_found", $"no reachable vault '{wanted}'; `tinysync vaults` lists the ones this device reaches");
            if (matches.Count > 1) throw new ClientException("vault_ambiguous", $"several vaults are named '{wanted}'; use the vault id");
            var v = matches[0];
            var c = p.GetValue(container)!;
            if (v.Containers.Count > 0 && v.Containers.All(x => x.Name != c))
                throw new ClientException("container_not_found", $"vault '{v.Name}' has no container '{c}' (it has {string.Join(", ", v.Containers.Select(x => x.Name))})");
            Directory.CreateDirectory(path);
            var link = state.AddLink(v.VaultId, v.Name, c, path);
            Term.Out($"linked {link.Directory} to vault '{v.Name}' ({v.VaultId}), container {c}; run `tinysync sync` or `tinysync daemon`");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    static Command Unlink()
    {
        var dir = new Argument<string>("DIR") { Description = "A linked folder" };
        var cmd = new Command("unlink", "Stop syncing a folder (its files stay; the server is not changed)") { dir };
        cmd.SetAction(p =>
        {
            var link = CliApp.State(p).RemoveLink(p.GetValue(dir)!);
            Term.Out($"unlinked {link.Directory}; its files were left in place");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    static Command Sync()
    {
        var cmd = new Command("sync", "One full two-way sync of every linked folder, repeated until converged (exit 0 only when converged, 3 otherwise)");
        cmd.SetAction(async (p, ct) =>
        {
            using var observer = new ConsoleObserver(p.GetValue(CliApp.Verbose));
            var client = new TinySyncClient(CliApp.State(p));
            var stats = new SyncStats();
            IReadOnlyList<(Link Link, LinkResult Result)> results;
            try
            {
                results = await observer.RunAsync(() => client.SyncAllAsync(observer, stats, ct));
            }
            catch
            {
                Term.Out(observer.Summary.Line()); // what moved before the run stopped (server gone, interrupted)
                throw;
            }
            var ok = true;
            foreach (var link in CliApp.State(p).LoadLinks().Where(CliApp.State(p).IsPaused))
                Term.Out($"{link.Directory}: paused; `tinysync resume {link.Directory}` to continue");
            foreach (var (link, r) in results)
            {
                if (r.Converged)
                {
                    Term.Out($"{link.Directory}: in sync");
                }
                else
                {
                    ok = false;
                    Term.Out($"{link.Directory}: not converged; run `tinysync sync` again");
                    foreach (var line in r.Pending.Take(20)) Term.Out("  " + line);
                }
            }
            Term.Out(observer.Summary.Line());
            if (p.GetValue(CliApp.Verbose))
            {
                Term.Out($"uploaded {stats.ChunksUploaded} chunks ({stats.BytesUploaded} B), downloaded {stats.ChunksDownloaded} ({stats.BytesDownloaded} B), reused {stats.ChunksReused}, hashed {stats.FilesHashed} files, {stats.OpsCommitted} ops, {stats.Conflicts} conflicts, peak memory {System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64 / (1024 * 1024)} MiB");
                // where the process's own CPU went besides the work: collections and first-call compilation
                Term.Out($"runtime: {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)} gen0/1/2 collections, {GC.GetTotalPauseDuration().TotalMilliseconds:0} ms paused; {System.Runtime.JitInfo.GetCompiledMethodCount()} methods compiled in {System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds:0} ms; CPU {System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds:0} ms");
            }
            return ok ? ExitCodes.Ok : ExitCodes.NotConverged;
        });
        return cmd;
    }

    static Command DaemonCommand()
    {
        var rescan = new Option<int>("--rescan-seconds") { Description = "Safety-net full rescan interval", DefaultValueFactory = _ => 300 };
        var cmd = new Command("daemon", "Sync continuously: watch the folders and the server's change stream (Ctrl-C to stop)") { rescan };
        cmd.SetAction(async (p, ct) =>
        {
            var state = CliApp.State(p);
            var id = state.RequireIdentity();
            using var observer = new ConsoleObserver(p.GetValue(CliApp.Verbose), daemon: true);
            var daemon = new SyncDaemon(state, id, observer, new DaemonOptions { Rescan = TimeSpan.FromSeconds(Math.Max(1, p.GetValue(rescan))) });
            daemon.CycleCompleted += (link, r) =>
            {
                if (p.GetValue(CliApp.Verbose)) observer.Message(MessageLevel.Info, $"{link.Directory}: {(r.Converged ? "in sync" : "pending")} after {r.Rounds} round(s)");
            };
            Term.Err($"{DateTime.UtcNow.ToString("HH:mm:ss", Inv)} syncing {state.LoadLinks().Count} folder(s) for {id.DisplayName} at {id.Server}; Ctrl-C to stop");
            try
            {
                await daemon.RunAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }

    static Command Conflicts()
    {
        var json = CliJson.Option();
        var cmd = new Command("conflicts", "List conflict copies in the linked folders (compare, keep what you want, delete the copy)") { json };
        cmd.SetAction(p =>
        {
            var list = new TinySyncClient(CliApp.State(p)).Conflicts();
            if (p.GetValue(json))
            {
                CliJson.Write(new ConflictsJson(list));
                return ExitCodes.Ok;
            }
            if (list.Count == 0) Term.Out("no conflict copies");
            foreach (var f in list) Term.Out(f);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    static Command History()
    {
        var path = new Argument<string>("PATH") { Description = "A file inside a linked folder" };
        var json = CliJson.Option();
        var cmd = new Command("history", "List the retained versions of a file, newest first, including those under earlier names or folders") { path, json };
        cmd.SetAction(async (p, ct) =>
        {
            var client = new TinySyncClient(CliApp.State(p), retry: RetryPolicy.None);
            var (link, history) = await client.HistoryAsync(p.GetValue(path)!, ct);
            if (p.GetValue(json))
            {
                CliJson.Write(new HistoryJson(history.Path, link.VaultId, link.Container, [.. history.Versions.Select(v =>
                    new VersionJson(v.Seq, v.CommittedAt.ToUniversalTime(), v.Kind.ToString().ToLowerInvariant(), v.Size, v.DeviceId, v.DeviceName, v.Path, v.MovedFrom))]));
                return ExitCodes.Ok;
            }
            if (history.Versions.Count == 0) Term.Out("no retained versions");
            foreach (var v in history.Versions)
            {
                var from = v.MovedFrom is null ? "" : $" (from {v.MovedFrom})";
                Term.Out($"seq={v.Seq}  {DeletedCommand.Time(v.CommittedAt)}  {v.Kind.ToString().ToLowerInvariant(),-6}  {(v.Size is { } s ? s + " B" : ""),-12}  by {DeletedCommand.Device(v.DeviceName, v.DeviceId)}  {v.Path}{from}");
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }

    static Command Restore()
    {
        var path = new Argument<string>("PATH") { Description = "A file inside a linked folder (it may have been deleted)" };
        var seq = new Option<long?>("--seq") { Description = "The version to restore (see `tinysync history`); default: the newest version that differs from the current one" };
        var cmd = new Command("restore", "Restore an earlier version of a file as its newest version, then sync it into the folder") { path, seq };
        cmd.SetAction(async (p, ct) =>
        {
            using var observer = new ConsoleObserver(p.GetValue(CliApp.Verbose));
            var client = new TinySyncClient(CliApp.State(p));
            var v = await client.RestoreAsync(p.GetValue(path)!, p.GetValue(seq), observer, ct);
            Term.Out($"restored {p.GetValue(path)} to the version of seq {v.Seq} ({v.Path}, {DeletedCommand.Time(v.CommittedAt)}, {v.Size} B)");
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
