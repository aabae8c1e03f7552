using System.CommandLine;
using System.Globalization;
using TinySync.Cli.Json;
using TinySync.Client;
using TinySync.Client.Daemon;
using TinySync.Client.Engine;
using TinySync.Client.State;
using TinySync.Client.Status;

namespace TinySync.Cli;

/// <summary>
/// <c>tinysync status</c>: the identity and each link from the state directory (cursor, last sync, what is pending),
/// plus, when a daemon answers on the control socket, its pid and what each link moves right now (no network).
/// </summary>
internal static class StatusCommand
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    const int PendingShown = 20;

    public static Command Create()
    {
        var json = CliJson.Option();
        var cmd = new Command("status", "Show the identity, whether a daemon runs, and every link: last sync, what is syncing now, what is pending and why (no network)") { json };
        cmd.SetAction(async (p, ct) =>
        {
            var state = CliApp.State(p);
            var id = state.LoadIdentity();
            var links = new TinySyncClient(state).Status();
            var daemon = await ControlSocket.AskAsync(state, new ControlRequest("status"), ct);
            var views = links.Select(s => View(state, s, daemon)).ToList();
            if (p.GetValue(json))
            {
                CliJson.Write(new StatusJson(state.Root, id is null ? null : new DeviceJson(id.DeviceId, id.DisplayName, id.Server, id.RedactedToken),
                    new DaemonJson(daemon is not null, daemon?.Pid), views));
                return ExitCodes.Ok;
            }
            Term.Out($"state:   {state.Root}");
            Term.Out(id is null ? "device:  (none) — run `tinysync register` or `tinysync login`" : $"device:  {id.DisplayName} ({id.DeviceId}) at {id.Server}, token {id.RedactedToken}");
            Term.Out(daemon is not null
                ? $"daemon:  running (pid {daemon.Pid})"
                : "daemon:  not running — `tinysync daemon` syncs continuously; below is what the state directory knows");
            if (links.Count == 0) Term.Out("links:   (none) — run `tinysync link VAULT DIR`");
            foreach (var v in views) Print(v, daemon is not null);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    static LinkStatusJson View(StateDirectory state, LinkStatus s, ControlResponse? daemon)
    {
        var live = daemon?.Links.FirstOrDefault(l => l.LinkId == s.Link.LinkId);
        var last = state.LoadLastSync(s.Link);
        var cycle = last is null ? null : new LastCycleJson(last.CompletedAt.ToUniversalTime(), last.Converged, SyncSummary.Line(last.Moved),
            last.Moved.FilesUp, last.Moved.BytesUp, last.Moved.FilesDown, last.Moved.BytesDown, last.Moved.Deleted, last.Moved.Moved, last.Moved.Conflicts);
        var change = last?.LastChange is { } c ? new LastChangeJson(c.At.ToUniversalTime(), SyncSummary.Line(c.Moved),
            c.Moved.FilesUp, c.Moved.BytesUp, c.Moved.FilesDown, c.Moved.BytesDown, c.Moved.Deleted, c.Moved.Moved, c.Moved.Conflicts) : null;
        return new LinkStatusJson(s.Link.LinkId, s.Link.Directory, s.Link.VaultId, s.Link.VaultName, s.Link.Container, s.Cursor,
            s.SyncedItems, s.RemoteItems, s.LastSync?.ToUniversalTime(), state.IsPaused(s.Link), live?.State, cycle, change, live?.InFlight,
            last?.Pending ?? [], SelectionOf(state, s.Link));
    }

    static SelectionStatusJson SelectionOf(StateDirectory state, Link link)
    {
        try
        {
            var sel = Selection.Load(state.LinkStateDirectory(link));
            return new SelectionStatusJson(sel.Mode.ToString().ToLowerInvariant(), sel.Paths);
        }
        catch (ClientException)
        {
            return new SelectionStatusJson("unreadable", []); // `sync` says what to do about it
        }
    }

    static void Print(LinkStatusJson v, bool daemonRuns)
    {
        Term.Out($"{v.Directory}  vault={v.VaultName ?? v.VaultId.ToString()} container={v.Container} cursor={v.Cursor} items={v.Items}/{v.RemoteItems} last-sync={(v.LastSync is { } t ? t.ToString("u", Inv) : "never")}");
        if (v.Paused) Term.Out($"  paused — `tinysync resume {v.Directory}` to continue");
        if (v.Selection.Mode != "all")
        {
            Term.Out(v.Selection.Mode switch
            {
                "only" => $"  select:  only {string.Join(", ", v.Selection.Paths)} — `tinysync select {v.Directory} --all` for everything",
                "exclude" => $"  select:  everything except {string.Join(", ", v.Selection.Paths)} — `tinysync select {v.Directory} --all` for everything",
                _ => $"  select:  unreadable — `tinysync select {v.Directory} --all` resets it",
            });
        }
        if (daemonRuns && v.State is null) Term.Out("  not watched by the running daemon (linked after it started); restart the daemon");
        if (v.InFlight is { } f)
        {
            Term.Out($"  now:     syncing; up {f.FilesUp}/{f.FilesUpTotal} files ({Term.Bytes(f.BytesUp)}/{Term.Bytes(f.BytesUpTotal)}), down {f.FilesDown}/{f.FilesDownTotal} files ({Term.Bytes(f.BytesDown)}/{Term.Bytes(f.BytesDownTotal)})");
        }
        else if (v.State == "retrying")
        {
            Term.Out("  now:     waiting to retry after an error (see pending)");
        }
        if (v.LastCycle is { } c)
        {
            Term.Out($"  last:    {c.CompletedAt.ToString("u", Inv)}, {(c.Converged ? "in sync" : "not converged")}: {c.Summary}");
        }
        if (v.LastChange is { } m && m.At != v.LastCycle?.CompletedAt) Term.Out($"  changed: {m.At.ToString("u", Inv)}: {m.Summary}");
        if (v.Pending.Count > 0)
        {
            Term.Out($"  pending: {v.Pending.Count}");
            foreach (var line in v.Pending.Take(PendingShown)) Term.Out("    " + line);
            if (v.Pending.Count > PendingShown) Term.Out($"    … and {v.Pending.Count - PendingShown} more");
        }
    }
}
