using TinySync.Client.Api;
using TinySync.Core.Contracts;

namespace TinySync.EndToEnd.Tests;

/// <summary>Reproduction 2 of issue 13: a compromised server's paths never reach the disk.</summary>
public sealed class HostileServerTests
{
    [Fact]
    public async Task Paths_from_a_hostile_server_are_refused_once_each_stay_pending_and_nothing_is_written_outside_the_folder()
    {
        using var outside = new TempDir("tinysync-e2e-outside");
        File.WriteAllText(Path.Combine(outside.Path, "keep.txt"), "outside");
        var id = Guid.NewGuid().ToString("N")[..8];
        await using var server = new HostileServer();
        server.AddFile("ok.txt", "fine", 1);
        server.AddFile("keep.txt", "to be moved out", 2);
        var hostile = new[]
        {
            $"../escape-{id}.txt",
            $"/{outside.Path.TrimStart('/')}/abs-{id}.txt",
            $"sub\\..\\..\\backslash-{id}.txt",
            $"nul-{id}\0.txt",
            $"cafe\u0301-{id}.txt",
            $"d/../../up-{id}.txt",
        };
        for (var i = 0; i < hostile.Length; i++) server.AddFile(hostile[i], "hostile " + i, 3 + i);
        server.AddDir("..", 9);
        server.AddLogRow(11, OpKind.Put, $"../log-{id}.txt", content: "from the log");
        server.AddLogRow(12, OpKind.Move, "keep.txt", newPath: $"../moved-{id}.txt");
        await server.StartAsync(treeSeq: 10);

        using var device = Device.For(server.Url, new DeviceRegistered(Guid.NewGuid(), HostileServer.Token(Guid.NewGuid()), "victim", DateTimeOffset.UtcNow),
            server.Vault, "victim");
        var parent = Path.GetDirectoryName(device.Folder)!;
        var beforeParent = Outside(parent, device);
        var beforeOutside = Outside(outside.Path, device);

        using var engine = device.Engine(new RetryPolicy(1, TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(10)));
        var first = await engine.SyncAsync();
        var second = await engine.SyncAsync();

        // the valid file arrives; nothing else is written anywhere
        device.Read("ok.txt").ShouldBe("fine");
        device.Snapshot().Keys.ShouldBe(["ok.txt"]);
        Outside(parent, device).ShouldBe(beforeParent);
        Outside(outside.Path, device).ShouldBe(beforeOutside);
        var grandparent = Path.GetDirectoryName(parent)!;
        foreach (var name in new[] { "escape", "up", "log", "moved", "backslash" })
        {
            File.Exists(Path.Combine(grandparent, $"{name}-{id}.txt")).ShouldBeFalse(name);
        }

        // refused paths stay pending, each reported in one warning line for the life of the engine
        first.Converged.ShouldBeFalse();
        second.Converged.ShouldBeFalse();
        var refusedOnes = hostile.Concat([$"../log-{id}.txt", $"../moved-{id}.txt"]).ToList();
        foreach (var h in refusedOnes)
        {
            var shown = h.Replace("\0", "\\x00", StringComparison.Ordinal); // NUL printed as an escape, never raw
            device.Messages.Count(m => m.StartsWith("Warning: the server sent the path '" + shown + "'", StringComparison.Ordinal)).ShouldBe(1, shown);
            second.Pending.ShouldContain(p => p.StartsWith("'" + shown + "': refused", StringComparison.Ordinal), shown);
        }
        device.Messages.ShouldAllBe(m => !m.Contains('\0'));
    }

    // Every entry under a directory outside the linked folder and the device's state, with its size.
    static List<string> Outside(string dir, Device device) =>
        Directory.EnumerateFileSystemEntries(dir, "*", SearchOption.AllDirectories)
            .Where(e => !e.StartsWith(device.Folder, StringComparison.Ordinal) && !e.StartsWith(device.Home, StringComparison.Ordinal))
            .Select(e => e + (File.Exists(e) ? ":" + new FileInfo(e).Length : "/"))
            .Order(StringComparer.Ordinal).ToList();
}
