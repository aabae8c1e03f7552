using System.CommandLine;
using TinySync.Cli.Json;
using TinySync.Client.Api;
using TinySync.Client.State;
using TinySync.Core.Identity;
using TinySync.Management;

namespace TinySync.Cli;

/// <summary>The commands that create, show and drop this device's identity: register, login, whoami, logout.</summary>
internal static class IdentityCommands
{
    public static void AddTo(RootCommand root)
    {
        root.Subcommands.Add(Register());
        root.Subcommands.Add(Login());
        root.Subcommands.Add(WhoAmI());
        root.Subcommands.Add(Logout());
    }

    static Option<string> ServerOption() => new("--server") { Description = "Server URL with its scheme, e.g. http://127.0.0.1:8080", Required = true };

    static Option<bool> ReplaceOption() => new("--replace") { Description = "Replace the identity this state directory holds: the old device is revoked first" };

    static Command Register()
    {
        var server = ServerOption();
        var name = new Option<string>("--name") { Description = "Display name of this device (shown in conflict file names)", Required = true };
        var admin = new Option<string?>("--admin-token") { Description = "Admin token, when the server's open registration is disabled (default: $TINYSYNC_ADMIN_TOKEN if set)" };
        var adminFile = Secrets.FileOption("--admin-token-file", "admin token");
        var replace = ReplaceOption();
        var cmd = new Command("register", "Register this machine as a new device and save its token (identity.json, mode 0600)") { server, name, admin, adminFile, replace };
        cmd.SetAction(async (p, ct) =>
        {
            var state = CliApp.State(p);
            state.EnsureWritable();
            var url = ServerUrl.Normalize(p.GetValue(server)!);
            var adminToken = Secrets.Read(p, admin, adminFile, "admin token", Environment.GetEnvironmentVariable("TINYSYNC_ADMIN_TOKEN"));
            if (state.LoadIdentity() is { } old)
            {
                if (!p.GetValue(replace)) throw Exists(old, "register");
                await RevokeOldAsync(old, ct);
            }
            using var mgmt = new TinySyncManagementClient(new Uri(url), adminToken);
            var reg = await mgmt.RegisterDeviceAsync(p.GetValue(name)!, ct);
            state.SaveIdentity(new ClientIdentity { Server = url.TrimEnd('/'), DeviceId = reg.DeviceId, Token = reg.Token, DisplayName = reg.DisplayName });
            Term.Out($"registered device '{reg.DisplayName}' ({reg.DeviceId}) at {url.TrimEnd('/')}; token {DeviceToken.Redact(reg.DeviceId)} saved in {state.IdentityPath}");
            Term.Out("the device reaches no vault yet: ask your platform (or an admin) to add it to a group, then run `tinysync vaults`");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    static Command Login()
    {
        var server = ServerOption();
        var token = new Option<string?>("--token") { Description = "A device token (tsdev_…) your platform issued for this machine (prefer --token-file: arguments show in `ps`)" };
        var tokenFile = Secrets.FileOption("--token-file", "device token");
        var replace = ReplaceOption();
        var cmd = new Command("login", "Adopt a device token issued by a Platform Service; checks it with the server first") { server, token, tokenFile, replace };
        cmd.SetAction(async (p, ct) =>
        {
            var state = CliApp.State(p);
            state.EnsureWritable();
            var url = ServerUrl.Normalize(p.GetValue(server)!);
            var raw = Secrets.Read(p, token, tokenFile, "device token")
                ?? throw new ClientException("usage", "login needs the device token: --token-file FILE (or - for stdin), or --token TOKEN");
            if (!DeviceToken.TryParse(raw, out var parsed, out var error))
                throw new ClientException("bad_token", $"that is not a device token ({error}); copy the whole tsdev_… value");
            var old = state.LoadIdentity();
            if (old is not null && old.DeviceId != parsed.DeviceId && !p.GetValue(replace)) throw Exists(old, "login");
            using var api = new DeviceApiClient(url, raw, RetryPolicy.None);
            var me = await api.GetMeAsync(ct);
            if (old is not null && old.DeviceId != me.DeviceId) await RevokeOldAsync(old, ct);
            state.SaveIdentity(new ClientIdentity { Server = url.TrimEnd('/'), DeviceId = me.DeviceId, Token = raw, DisplayName = me.DisplayName });
            Term.Out($"logged in as device '{me.DisplayName}' ({me.DeviceId}) at {url.TrimEnd('/')}; token {parsed} saved in {state.IdentityPath}; {me.Vaults.Count} vault(s) reachable");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    static ClientException Exists(ClientIdentity old, string verb) => new("identity_exists",
        $"this state directory already holds device '{old.DisplayName}' ({old.DeviceId}) at {old.Server}; add --replace to revoke it and {verb} anew, or use another --home");

    // --replace: the old device must not stay registered unnoticed. Revoked first; if that is impossible, say why and
    // how an admin finishes the job, then go on (the user asked to replace it).
    static async Task RevokeOldAsync(ClientIdentity old, CancellationToken ct)
    {
        try
        {
            using var api = DeviceApiClient.For(old, RetryPolicy.None);
            await api.RevokeSelfAsync(ct);
            Term.Out($"revoked the old device '{old.DisplayName}' ({old.DeviceId})");
        }
        catch (DeviceRevokedException)
        {
            Term.Out($"the old device '{old.DisplayName}' ({old.DeviceId}) was already revoked or unknown to its server");
        }
        catch (ClientException e)
        {
            Term.Err($"tinysync: could not revoke the old device '{old.DisplayName}' ({old.DeviceId}): {e.Message}; an admin can revoke it with `tinysync admin devices revoke {old.DeviceId}`");
        }
    }

    static Command WhoAmI()
    {
        var json = CliJson.Option();
        var cmd = new Command("whoami", "Show this device, its server, groups and reachable vaults") { json };
        cmd.SetAction(async (p, ct) =>
        {
            var id = CliApp.State(p).RequireIdentity();
            using var api = DeviceApiClient.For(id, RetryPolicy.None);
            var me = await api.GetMeAsync(ct);
            if (p.GetValue(json))
            {
                CliJson.Write(new WhoAmIJson(id.DeviceId, id.DisplayName, id.Server, id.RedactedToken, me.Groups, [.. me.Vaults.Select(v => new VaultRefJson(v.VaultId, v.Name))]));
                return ExitCodes.Ok;
            }
            Term.Out($"device:  {id.DisplayName} ({id.DeviceId})");
            Term.Out($"server:  {id.Server}");
            Term.Out($"token:   {id.RedactedToken}");
            Term.Out($"groups:  {(me.Groups.Count == 0 ? "(none)" : string.Join(", ", me.Groups))}");
            Term.Out($"vaults:  {me.Vaults.Count}");
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
            Term.Out($"device {id.DisplayName} ({id.DeviceId}) {(p.GetValue(localOnly) ? "forgotten locally" : "revoked and forgotten")}; run `tinysync register` or `tinysync login` to sync again");
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
