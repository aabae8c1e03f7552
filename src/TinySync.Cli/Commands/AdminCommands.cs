using System.CommandLine;
using System.Text.Json;
using TinySync.Client.State;
using TinySync.Core.Contracts;
using TinySync.Core.Json;
using TinySync.Management;

namespace TinySync.Cli;

/// <summary>
/// <c>tinysync admin …</c>: the whole management API through the typed client (TinySync.Management), with the admin
/// token. Answers print as JSON (snake_case, as on the wire) so scripts can read them.
/// </summary>
internal static class AdminCommands
{
    static readonly Option<string?> AdminToken = new("--admin-token") { Description = "Admin token (default: $TINYSYNC_ADMIN_TOKEN; prefer --admin-token-file: arguments show in `ps`)", Recursive = true };
    static readonly Option<string?> AdminTokenFile = Secrets.FileOption("--admin-token-file", "admin token", recursive: true);
    static readonly Option<bool> Json = new("--json") { Description = "Print JSON (the default and only format of admin answers; accepted for symmetry with the other commands)", Recursive = true };
    static readonly Option<string?> Server = new("--server") { Description = "Server URL (default: $TINYSYNC_SERVER, else this device's server)", Recursive = true };
    static readonly JsonSerializerOptions Pretty = new(TinySyncJson.Options) { WriteIndented = true };

    public static Command Build()
    {
        var admin = new Command("admin", "Management API (devices, vaults, containers, groups, edges, audit) with the admin token");
        admin.Options.Add(AdminToken);
        admin.Options.Add(AdminTokenFile);
        admin.Options.Add(Json);
        admin.Options.Add(Server);
        admin.Subcommands.Add(Devices());
        admin.Subcommands.Add(Vaults());
        admin.Subcommands.Add(Groups());
        var after = new Option<long>("--after") { Description = "Only entries after this seq", DefaultValueFactory = _ => 0 };
        admin.Subcommands.Add(Leaf("audit", "Read the server's audit record of management changes", [after], (m, p, ct) => m.ReadAuditAsync(p.GetValue(after), null, ct)));
        return admin;
    }

    static Command Devices()
    {
        var cmd = new Command("devices", "Devices: list, show, register, revoke");
        var did = DeviceId();
        var name = new Argument<string>("NAME") { Description = "Display name" };
        cmd.Subcommands.Add(Leaf("list", "List every device", [], async (m, _, ct) => await Collect(m.ListAllDevicesAsync(cancellationToken: ct))));
        cmd.Subcommands.Add(Leaf("show", "One device with its groups", [did], (m, p, ct) => m.GetDeviceAsync(p.GetValue(did), ct)));
        cmd.Subcommands.Add(Leaf("register", "Register a device (prints its token once)", [name], (m, p, ct) => m.RegisterDeviceAsync(p.GetValue(name)!, ct)));
        var did2 = DeviceId();
        cmd.Subcommands.Add(Leaf("revoke", "Revoke a device (final)", [did2], (m, p, ct) => m.RevokeDeviceAsync(p.GetValue(did2), ct)));
        return cmd;
    }

    static Command Vaults()
    {
        var cmd = new Command("vaults", "Vaults and containers: list, show, create, put, container");
        var vid = VaultId();
        var name = new Argument<string>("NAME") { Description = "Vault name" };
        cmd.Subcommands.Add(Leaf("list", "List every vault", [], async (m, _, ct) => await Collect(m.ListAllVaultsAsync(cancellationToken: ct))));
        cmd.Subcommands.Add(Leaf("show", "One vault with groups, containers and head", [vid], (m, p, ct) => m.GetVaultAsync(p.GetValue(vid), ct)));
        cmd.Subcommands.Add(Leaf("create", "Create a vault with a server-chosen id", [name], (m, p, ct) => m.CreateVaultAsync(p.GetValue(name)!, ct)));
        var vid2 = VaultId();
        var name2 = new Argument<string>("NAME") { Description = "Vault name" };
        cmd.Subcommands.Add(Leaf("put", "Create or rename a vault with a caller-chosen id", [vid2, name2], (m, p, ct) => m.PutVaultAsync(p.GetValue(vid2), p.GetValue(name2)!, ct)));
        var vid3 = VaultId();
        var cname = new Argument<string>("CONTAINER") { Description = "Container name" };
        var ns = new Option<string>("--namespace") { Description = "Product namespace that owns the container", Required = true };
        var max = new Option<long?>("--max-file-bytes") { Description = "Largest file a put may declare" };
        var ro = new Option<bool>("--read-only") { Description = "Reject every op on the container" };
        cmd.Subcommands.Add(Leaf("container", "Create or update a container", [vid3, cname, ns, max, ro],
            (m, p, ct) => m.PutContainerAsync(p.GetValue(vid3), p.GetValue(cname)!, p.GetValue(ns)!, new ContainerPolicy(p.GetValue(max), p.GetValue(ro)), ct)));
        return cmd;
    }

    static Command Groups()
    {
        var cmd = new Command("groups", "Groups and edges: list, show, put, delete, add-device, remove-device, add-vault, remove-vault");
        cmd.Subcommands.Add(Leaf("list", "List every group", [], async (m, _, ct) => await Collect(m.ListAllGroupsAsync(cancellationToken: ct))));
        var g1 = GroupId();
        cmd.Subcommands.Add(Leaf("show", "One group with its devices and vaults", [g1], (m, p, ct) => m.GetGroupAsync(p.GetValue(g1)!, ct)));
        var g2 = GroupId();
        var gname = new Option<string?>("--name") { Description = "Display name" };
        var eco = new Option<string?>("--ecosystem") { Description = "Ecosystem tag" };
        cmd.Subcommands.Add(Leaf("put", "Create a group or set its metadata", [g2, gname, eco], (m, p, ct) => m.PutGroupAsync(p.GetValue(g2)!, p.GetValue(gname), p.GetValue(eco), ct)));
        var g3 = GroupId();
        cmd.Subcommands.Add(Leaf("delete", "Delete a group and all its edges", [g3], async (m, p, ct) => { await m.DeleteGroupAsync(p.GetValue(g3)!, ct); return new { deleted = p.GetValue(g3) }; }));
        var g4 = GroupId(); var d4 = DeviceId();
        cmd.Subcommands.Add(Leaf("add-device", "Add a device to a group", [g4, d4], (m, p, ct) => m.AddDeviceToGroupAsync(p.GetValue(g4)!, p.GetValue(d4), ct)));
        var g5 = GroupId(); var d5 = DeviceId();
        cmd.Subcommands.Add(Leaf("remove-device", "Remove a device from a group", [g5, d5], async (m, p, ct) => { await m.RemoveDeviceFromGroupAsync(p.GetValue(g5)!, p.GetValue(d5), ct); return new { removed = true }; }));
        var g6 = GroupId(); var v6 = VaultId();
        cmd.Subcommands.Add(Leaf("add-vault", "Give a group access to a vault", [g6, v6], (m, p, ct) => m.AddVaultToGroupAsync(p.GetValue(g6)!, p.GetValue(v6), ct)));
        var g7 = GroupId(); var v7 = VaultId();
        cmd.Subcommands.Add(Leaf("remove-vault", "Take a vault away from a group", [g7, v7], async (m, p, ct) => { await m.RemoveVaultFromGroupAsync(p.GetValue(g7)!, p.GetValue(v7), ct); return new { removed = true }; }));
        return cmd;
    }

    static Argument<Guid> DeviceId() => Id("DEVICE_ID", "device", "tinysync admin devices list");
    static Argument<Guid> VaultId() => Id("VAULT_ID", "vault", "tinysync admin vaults list");

    // A bad id is one line that says what an id looks like and where to find one (not "Cannot parse … System.Guid").
    static Argument<Guid> Id(string name, string what, string list) => new(name)
    {
        Description = $"{char.ToUpperInvariant(what[0])}{what[1..]} id (UUID)",
        CustomParser = r =>
        {
            var text = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
            if (Guid.TryParse(text, out var id)) return id;
            r.AddError($"'{text}' is not a {what} id (a UUID such as 0190a0e4-5b1c-7d2e-8f30-0123456789ab); `{list}` shows them");
            return Guid.Empty;
        },
    };
    static Argument<string> GroupId() => new("GROUP_ID") { Description = "Group id: 1–128 of A–Z a–z 0–9 . _ : -" };

    static async Task<List<T>> Collect<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var i in items) list.Add(i);
        return list;
    }

    static Command Leaf<T>(string name, string description, Symbol[] symbols, Func<TinySyncManagementClient, ParseResult, CancellationToken, Task<T>> run)
    {
        var cmd = new Command(name, description);
        foreach (var s in symbols)
        {
            if (s is Argument a) cmd.Arguments.Add(a);
            else if (s is Option o) cmd.Options.Add(o);
        }
        cmd.SetAction(async (p, ct) =>
        {
            using var client = Client(p);
            var result = await run(client, p, ct);
            Console.WriteLine(JsonSerializer.Serialize(result, Pretty));
            return ExitCodes.Ok;
        });
        return cmd;
    }

    static TinySyncManagementClient Client(ParseResult p)
    {
        var token = Secrets.Read(p, AdminToken, AdminTokenFile, "admin token", Environment.GetEnvironmentVariable("TINYSYNC_ADMIN_TOKEN"));
        if (string.IsNullOrWhiteSpace(token))
            throw new ClientException("no_admin_token", "admin commands need the admin token: pass --admin-token-file FILE (or - for stdin), --admin-token, or set TINYSYNC_ADMIN_TOKEN");
        var server = p.GetValue(Server) ?? Environment.GetEnvironmentVariable("TINYSYNC_SERVER") ?? CliApp.State(p).LoadIdentity()?.Server
            ?? throw new ClientException("no_server", "which server? pass --server URL or set TINYSYNC_SERVER");
        return new TinySyncManagementClient(new Uri(ServerUrl.Normalize(server)), token);
    }
}
