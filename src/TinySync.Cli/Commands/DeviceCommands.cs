using System.CommandLine;
using System.Globalization;
using TinySync.Client;
using TinySync.Client.Api;
using TinySync.Client.Daemon;
using TinySync.Client.Engine;
using TinySync.Client.State;
using TinySync.Core.Contracts;
using TinySync.Core.Identity;
using TinySync.Management;

namespace TinySync.Cli;

/// <summary>The end-user commands.</summary>
internal static class DeviceCommands
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static void AddTo(RootCommand root)
    {
        root.Subcommands.Add(Register());
        root.Subcommands.Add(Login());
        root.Subcommands.Add(WhoAmI());
        root.Subcommands.Add(Vaults());
        root.Subcommands.Add(LinkCommand());
        root.Subcommands.Add(Unlink());
        root.Subcommands.Add(Sync());
        root.Subcommands.Add(DaemonCommand());
        root.Subcommands.Add(Status());
        root.Subcommands.Add(Conflicts());
        root.Subcommands.Add(History());
        root.Subcommands.Add(Restore());
        root.Subcommands.Add(DeletedCommand.Create());
        root.Subcommands.Add(Logout());
    }

    static Option<string> ServerOption() => new("--server") { Description = "Server URL, e.g. http://127.0.0.1:8080", Required = true };

    static Command Register()
    {
        var server = ServerOption();
        var name = new Option<string>("--name") { Description = "Display name of this device (shown in conflict file names)", Required = true };
        var admin = new Option<string?>("--admin-token") { Description = "Admin token, when the server's open registration is disabled (default: $TINYSYNC_ADMIN_TOKEN if set)" };
        var cmd = new Command("register", "Register this machine as a new device and save its token (identity.json, mode 0600)") { server, name, admin };
        cmd.SetAction(async (p, ct) =>
        {
            var state = CliApp.State(p);
            state.EnsureWritable();
            var url = p.GetValue(server)!.TrimEnd('/');
            using var mgmt = new TinySyncManagementClient(new Uri(url + "/"), p.GetValue(admin) ?? Environment.GetEnvironmentVariable("TINYSYNC_ADMIN_TOKEN"));
            var reg = await mgmt.RegisterDeviceAsync(p.GetValue(name)!, ct);
            state.SaveIdentity(new ClientIdentity { Server = url, DeviceId = reg.DeviceId, Token = reg.Token, DisplayName = reg.DisplayName });
            Console.WriteLine($"registered device '{reg.DisplayName}' ({reg.DeviceId}) at {url}; token {DeviceToken.Redact(reg.DeviceId)} saved in {state.IdentityPath}");
            Console.WriteLine("the device reaches no vault yet: ask your platform (or an admin) to add it to a group, then run `tinysync vaults`");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    static Command Login()
    {
        var server = ServerOption();
        var token = new Option<string>("--token") { Description = "A device token (tsdev_…) your platform issued for this machine", Required = true };
        var cmd = new Command("login", "Adopt a device token issued by a Platform Service; checks it with the server first") { server, token };
        cmd.SetAction(async (p, ct) =>
        {
            var state = CliApp.State(p);
            state.EnsureWritable();
            var url = p.GetValue(server)!.TrimEnd('/');
            var raw = p.GetValue(token)!.Trim();
            if (!DeviceToken.TryParse(raw, out var parsed, out var error))
                throw new ClientException("bad_token", $"that is not a device token ({error}); copy the whole tsdev_… value");
            using var api = new DeviceApiClient(url, raw, RetryPolicy.None);
            var me = await api.GetMeAsync(ct);
            state.SaveIdentity(new ClientIdentity { Server = url, DeviceId = me.DeviceId, Token = raw, DisplayName = me.DisplayName });
            Console.WriteLine($"logged in as device '{me.DisplayName}' ({me.DeviceId}) at {url}; token {parsed} saved in {state.IdentityPath}; {me.Vaults.Count} vault(s) reachable");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    static Command WhoAmI()
    {
        var cmd = new Command("whoami", "Show this device, its server, groups and reachable vaults");
        cmd.SetAction(async (p, ct) =>
        {
            var id = CliApp.State(p).RequireIdentity();
            Console.WriteLine($"device:  {id.DisplayName} ({id.DeviceId})");
            Console.WriteLine($"server:  {id.Server}");
            Console.WriteLine($"token:   {id.RedactedToken}");
            using var api = DeviceApiClient.For(id, RetryPolicy.None);
            var me = await api.GetMeAsync(ct);
            Console.WriteLine($"groups:  {(me.Groups.Count == 0 ? "(none)" : string.Join(", ", me.Groups))}");
            Console.WriteLine($"vaults:  {me.Vaults.Count}");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    static Command Vaults()
    {
        var cmd = new Command("vaults", "List the vaults this device reaches (with containers), and which folder each is linked to");
        cmd.SetAction(async (p, ct) =>
        {
            var state = CliApp.State(p);
            var id = state.RequireIdentity();
            using var api = DeviceApiClient.For(id, RetryPolicy.None);
            var me = await api.GetMeAsync(ct);
            var links = state.LoadLinks();
            if (me.Vaults.Count == 0) Console.WriteLine("no vault reachable yet: the device must be in a group that has a vault");
            foreach (var v in me.Vaults)
            {
                var linked = links.Where(l => l.VaultId == v.VaultId).Select(l => $"{l.Directory} ({l.Container})").ToList();
                Console.WriteLine($"{v.VaultId}  {v.Name}  head={v.Head}  containers={string.Join(",", v.Containers.Select(c => c.Name).DefaultIfEmpty("default"))}"
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
            var path = Path.GetFullPath(p.GetValue(dir)!);
            Directory.CreateDirectory(path);
            var link = state.AddLink(v.VaultId, v.Name, c, path);
            Console.WriteLine($"linked {link.Directory} to vault '{v.Name}' ({v.VaultId}), container {c}; run `tinysync sync` or `tinysync daemon`");
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
            Console.WriteLine($"unlinked {link.Directory}; its files were left in place");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    static Command Sync()
    {
        var cmd = new Command("sync", "One full two-way sync of every linked folder, repeated until converged (exit 0 only when converged, 3 otherwise)");
        cmd.SetAction(async (p, ct) =>
        {
            var observer = new ConsoleObserver(p.GetValue(CliApp.Verbose));
            var client = new TinySyncClient(CliApp.State(p));
            var stats = new SyncStats();
            var results = await observer.RunAsync(() => client.SyncAllAsync(observer, stats, ct));
            var ok = true;
            foreach (var (link, r) in results)
            {
                if (r.Converged)
                {
                    Console.WriteLine($"{link.Directory}: in sync");
                }
                else
                {
                    ok = false;
                    Console.WriteLine($"{link.Directory}: not converged; run `tinysync sync` again");
                    foreach (var line in r.Pending.Take(20)) Console.WriteLine("  " + line);
                }
            }
            if (p.GetValue(CliApp.Verbose))
            {
                Console.WriteLine($"uploaded {stats.ChunksUploaded} chunks ({stats.BytesUploaded} B), downloaded {stats.ChunksDownloaded} ({stats.BytesDownloaded} B), reused {stats.ChunksReused}, hashed {stats.FilesHashed} files, {stats.OpsCommitted} ops, {stats.Conflicts} conflicts, peak memory {System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64 / (1024 * 1024)} MiB");
                // where the process's own CPU went besides the work: collections and first-call compilation
                Console.WriteLine($"runtime: {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)} gen0/1/2 collections, {GC.GetTotalPauseDuration().TotalMilliseconds:0} ms paused; {System.Runtime.JitInfo.GetCompiledMethodCount()} methods compiled in {System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds:0} ms; CPU {System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds:0} ms");
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
            var observer = new ConsoleObserver(verbose: true);
            var daemon = new SyncDaemon(state, id, observer, new DaemonOptions { Rescan = TimeSpan.FromSeconds(Math.Max(1, p.GetValue(rescan))) });
            daemon.CycleCompleted += (link, r) =>
            {
                if (p.GetValue(CliApp.Verbose)) observer.Message(MessageLevel.Info, $"{link.Directory}: {(r.Converged ? "in sync" : "pending")} after {r.Rounds} round(s)");
            };
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

    static Command Status()
    {
        var cmd = new Command("status", "Show the identity and every link with its cursor and last sync (no network)");
        cmd.SetAction(p =>
        {
            var state = CliApp.State(p);
            var id = state.LoadIdentity();
            Console.WriteLine($"state:   {state.Root}");
            Console.WriteLine(id is null ? "device:  (none) — run `tinysync register` or `tinysync login`" : $"device:  {id.DisplayName} ({id.DeviceId}) at {id.Server}, token {id.RedactedToken}");
            var links = new TinySyncClient(state).Status();
            if (links.Count == 0) Console.WriteLine("links:   (none) — run `tinysync link VAULT DIR`");
            foreach (var s in links)
            {
                Console.WriteLine($"{s.Link.Directory}  vault={s.Link.VaultName ?? s.Link.VaultId.ToString()} container={s.Link.Container} cursor={s.Cursor} items={s.SyncedItems}/{s.RemoteItems} last-sync={(s.LastSync is { } t ? t.ToString("u", Inv) : "never")}");
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }

    static Command Conflicts()
    {
        var cmd = new Command("conflicts", "List conflict copies in the linked folders (compare, keep what you want, delete the copy)");
        cmd.SetAction(p =>
        {
            var list = new TinySyncClient(CliApp.State(p)).Conflicts();
            if (list.Count == 0) Console.WriteLine("no conflict copies");
            foreach (var f in list) Console.WriteLine(f);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    static Command History()
    {
        var path = new Argument<string>("PATH") { Description = "A file inside a linked folder" };
        var cmd = new Command("history", "List the retained versions of a file, newest first, including those under earlier names or folders") { path };
        cmd.SetAction(async (p, ct) =>
        {
            var client = new TinySyncClient(CliApp.State(p), retry: RetryPolicy.None);
            var (_, history) = await client.HistoryAsync(p.GetValue(path)!, ct);
            if (history.Versions.Count == 0) Console.WriteLine("no retained versions");
            foreach (var v in history.Versions)
            {
                var from = v.MovedFrom is null ? "" : $" (from {v.MovedFrom})";
                Console.WriteLine($"seq={v.Seq}  {DeletedCommand.Time(v.CommittedAt)}  {v.Kind.ToString().ToLowerInvariant(),-6}  {(v.Size is { } s ? s + " B" : ""),-12}  by {DeletedCommand.Device(v.DeviceName, v.DeviceId)}  {v.Path}{from}");
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
            var observer = new ConsoleObserver(p.GetValue(CliApp.Verbose));
            var client = new TinySyncClient(CliApp.State(p));
            var v = await client.RestoreAsync(p.GetValue(path)!, p.GetValue(seq), observer, ct);
            Console.WriteLine($"restored {p.GetValue(path)} to the version of seq {v.Seq} ({v.Path}, {DeletedCommand.Time(v.CommittedAt)}, {v.Size} B)");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    static Command Logout()
    {
        var localOnly = new Option<bool>("--local-only") { Description = "Forget the identity without revoking it on the server (e.g. the server is gone)" };
        var cmd = new Command("logout", "Revoke this device on the server (POST /v1/me/revoke), then forget its identity; files and links stay") { localOnly };
        cmd.SetAction(async (p, ct) =>
        {
            var state = CliApp.State(p);
            var id = state.RequireIdentity();
            if (!p.GetValue(localOnly))
            {
                using var api = DeviceApiClient.For(id, RetryPolicy.None);
                try
                {
                    await api.RevokeSelfAsync(ct);
                }
                catch (DeviceRevokedException)
                {
                    // already revoked: forgetting is all that is left to do
                }
            }
            state.DeleteIdentity();
            Console.WriteLine($"device {id.DisplayName} ({id.DeviceId}) {(p.GetValue(localOnly) ? "forgotten locally" : "revoked and forgotten")}; run `tinysync register` or `tinysync login` to sync again");
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
