using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using TinySync.Client;
using TinySync.Client.Api;
using TinySync.Core.Json;

namespace TinySync.Cli;

/// <summary><c>tinysync deleted [DIR] [--json]</c>: the deleted files still restorable (decision 0437).</summary>
internal static class DeletedCommand
{
    static readonly JsonSerializerOptions Pretty = new(TinySyncJson.Options) { WriteIndented = true };

    /// <summary>One deleted file as <c>--json</c> prints it.</summary>
    sealed record DeletedJson(string LocalPath, Guid VaultId, string Container, string Path, long DeletedSeq, DateTimeOffset DeletedAt, Guid DeviceId,
        string? DeviceName, long Version, long Size);

    public static Command Create()
    {
        var dir = new Argument<string?>("DIR") { Description = "A linked folder or a folder inside one (default: every linked folder)", Arity = ArgumentArity.ZeroOrOne };
        var json = new Option<bool>("--json") { Description = "Print {\"deleted\": [...]} as JSON instead of lines" };
        var cmd = new Command("deleted", "List deleted files still restorable within the server's retention window; `tinysync restore PATH` brings one back") { dir, json };
        cmd.SetAction(async (p, ct) =>
        {
            var client = new TinySyncClient(CliApp.State(p), retry: RetryPolicy.None);
            var files = await client.DeletedAsync(p.GetValue(dir), ct);
            if (p.GetValue(json))
            {
                var list = files.Select(f => new DeletedJson(f.LocalPath, f.Link.VaultId, f.Link.Container, f.Entry.Path, f.Entry.DeletedSeq,
                    f.Entry.DeletedAt, f.Entry.DeviceId, f.Entry.DeviceName, f.Entry.Version, f.Entry.Size)).ToList();
                Console.WriteLine(JsonSerializer.Serialize(new { deleted = list }, Pretty));
                return ExitCodes.Ok;
            }
            if (files.Count == 0) Term.Out("no deleted files to restore");
            foreach (var f in files)
            {
                var e = f.Entry;
                Term.Out($"{f.LocalPath}  deleted {Time(e.DeletedAt)} by {Device(e.DeviceName, e.DeviceId)}  (last version seq={e.Version}, {e.Size} B)");
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>A time as the history and deleted lists print it: UTC, to the second.</summary>
    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>A device as those lists print it: its display name, else its id.</summary>
    public static string Device(string? name, Guid id) => name is null ? id.ToString() : Term.Escape(name);
}
