using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace TinySync.EndToEnd.Tests;

/// <summary>History that follows the item and the deleted-files list, with the real server and real CLI processes.</summary>
public sealed class HistoryCliTests
{
    sealed record Setup(ServerProcess Server, TempDir Dir, List<(string Home, string Folder)> Devices) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Server.DisposeAsync();
            Dir.Dispose();
        }
    }

    static async Task<Setup> StartAsync(params string[] names)
    {
        var server = new ServerProcess();
        await server.StartAsync();
        var (vault, registered) = await server.SetUpAsync(names);
        var dir = new TempDir();
        var devices = new List<(string, string)>();
        foreach (var (device, name) in registered)
        {
            string home = dir.Sub("home-" + name), folder = dir.Sub("folder-" + name);
            var (code, _, err) = await CliProcess.RunAsync(home, "login", "--server", server.Url, "--token", device.Token);
            code.ShouldBe(0, err);
            (code, _, err) = await CliProcess.RunAsync(home, "link", vault.ToString(), folder);
            code.ShouldBe(0, err);
            devices.Add((home, folder));
        }
        return new Setup(server, dir, devices);
    }

    static async Task<string> RunOkAsync(string home, params string[] args)
    {
        var (code, output, err) = await CliProcess.RunAsync(home, args);
        code.ShouldBe(0, $"tinysync {string.Join(' ', args)}: {err}");
        return output;
    }

    [Fact]
    public async Task History_follows_a_file_across_a_folder_rename_on_another_device_and_restore_brings_back_a_version_from_before_it()
    {
        await using var s = await StartAsync("laptop", "phone");
        var (homeA, folderA) = s.Devices[0];
        var (homeB, folderB) = s.Devices[1];
        Directory.CreateDirectory(Path.Combine(folderA, "docs"));
        File.WriteAllText(Path.Combine(folderA, "docs", "plan.txt"), "first plan");
        await RunOkAsync(homeA, "sync");
        File.WriteAllText(Path.Combine(folderA, "docs", "plan.txt"), "second plan, longer");
        await RunOkAsync(homeA, "sync");
        await RunOkAsync(homeB, "sync");
        Directory.Move(Path.Combine(folderB, "docs"), Path.Combine(folderB, "archive"));
        await RunOkAsync(homeB, "sync");
        await RunOkAsync(homeA, "sync");
        var moved = Path.Combine(folderA, "archive", "plan.txt");
        File.ReadAllText(moved).ShouldBe("second plan, longer");

        var lines = (await RunOkAsync(homeA, "history", moved)).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        lines.Length.ShouldBe(3, string.Join('\n', lines));
        lines[0].ShouldContain("move");
        lines[0].ShouldContain("by phone");
        lines[0].ShouldContain("archive/plan.txt (from docs/plan.txt)");
        lines[1].ShouldContain("by laptop");
        lines[2].ShouldContain("docs/plan.txt");
        lines[2].ShouldMatch(@"\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ", "times to the second");
        string.Join('\n', lines).ShouldNotMatch("[0-9a-f]{8}-[0-9a-f]{4}-", "devices show by name, not id");

        // The JSON says what the text says: the move's earlier path and the devices' names.
        var versions = JsonDocument.Parse(await RunOkAsync(homeA, "history", moved, "--json")).RootElement.GetProperty("versions");
        versions.GetArrayLength().ShouldBe(3);
        for (var i = 0; i < 3; i++) lines[i].ShouldContain($"seq={versions[i].GetProperty("seq").GetInt64()} ");
        versions[0].GetProperty("kind").GetString().ShouldBe("move");
        versions[0].GetProperty("path").GetString().ShouldBe("archive/plan.txt");
        versions[0].GetProperty("moved_from").GetString().ShouldBe("docs/plan.txt");
        versions[0].GetProperty("device_name").GetString().ShouldBe("phone");
        versions[1].GetProperty("moved_from").ValueKind.ShouldBe(JsonValueKind.Null, "present, null when the version is not a move");
        versions[1].GetProperty("device_name").GetString().ShouldBe("laptop");
        versions[2].GetProperty("path").GetString().ShouldBe("docs/plan.txt");

        var oldest = Regex.Match(lines[2], @"seq=(\d+)").Groups[1].Value;
        var restored = await RunOkAsync(homeA, "restore", moved, "--seq", oldest);
        restored.ShouldContain($"seq {oldest}");
        File.ReadAllText(moved).ShouldBe("first plan");
        await RunOkAsync(homeB, "sync");
        File.ReadAllText(Path.Combine(folderB, "archive", "plan.txt")).ShouldBe("first plan");
        var after = (await RunOkAsync(homeA, "history", moved)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        after.Length.ShouldBe(4);
        after[0].ShouldContain("put");
        after[0].ShouldContain("by laptop");
    }

    [Fact]
    public async Task Deleted_lists_a_file_deleted_with_its_folder_and_restore_brings_it_back()
    {
        await using var s = await StartAsync("laptop");
        var (home, folder) = s.Devices[0];
        Directory.CreateDirectory(Path.Combine(folder, "old"));
        File.WriteAllText(Path.Combine(folder, "old", "notes.txt"), "keep me");
        File.WriteAllText(Path.Combine(folder, "stays.txt"), "here");
        await RunOkAsync(home, "sync");
        (await RunOkAsync(home, "deleted")).Trim().ShouldBe("no deleted files to restore");
        Directory.Delete(Path.Combine(folder, "old"), recursive: true);
        await RunOkAsync(home, "sync");

        var gone = Path.Combine(folder, "old", "notes.txt");
        var listed = await RunOkAsync(home, "deleted");
        listed.Trim().Split('\n').Length.ShouldBe(1, listed);
        listed.ShouldContain(gone);
        listed.ShouldContain("by laptop");
        listed.ShouldContain("7 B");
        (await RunOkAsync(home, "deleted", Path.Combine(folder, "old"))).ShouldContain(gone);
        var json = JsonDocument.Parse(await RunOkAsync(home, "deleted", folder, "--json")).RootElement.GetProperty("deleted");
        json.GetArrayLength().ShouldBe(1);
        json[0].GetProperty("path").GetString().ShouldBe("old/notes.txt");
        json[0].GetProperty("local_path").GetString().ShouldBe(gone);
        json[0].GetProperty("device_name").GetString().ShouldBe("laptop");
        json[0].GetProperty("size").GetInt64().ShouldBe(7);
        DateTimeOffset.Parse(json[0].GetProperty("deleted_at").GetString()!, CultureInfo.InvariantCulture).ShouldBeGreaterThan(DateTimeOffset.UtcNow.AddMinutes(-5));

        await RunOkAsync(home, "restore", gone);

        File.ReadAllText(gone).ShouldBe("keep me");
        (await RunOkAsync(home, "deleted")).Trim().ShouldBe("no deleted files to restore");
    }
}
