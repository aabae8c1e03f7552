using TinySync.Server.Tests.Support;

namespace TinySync.Server.Tests.Operations;

/// <summary>The systemd units under deploy/ pass <c>systemd-analyze verify</c> without a single complaint.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ServiceUnitTests
{
    [Theory]
    [InlineData("tinysync-server.service", "/opt/tinysync/tinysync-server", false)]
    [InlineData("tinysync-daemon.service", "%h/.dotnet/tools/tinysync", true)]
    public async Task The_unit_verifies_cleanly_and_restarts_on_failure_with_hardening(string unit, string executable, bool user)
    {
        var analyze = Repository.Tool("TINYSYNC_TEST_SYSTEMD_ANALYZE", "systemd.sh");
        var text = await File.ReadAllTextAsync(Path.Combine(Repository.Root, "deploy", unit));
        text.ShouldContain("Restart=on-failure");
        text.ShouldContain("NoNewPrivileges=yes");
        text.ShouldContain("ProtectSystem=strict");
        text.ShouldContain($"ExecStart={executable} ");

        // verify checks that ExecStart names an executable: point it at a stand-in, everything else as shipped
        using var dir = new TempDir("tinysync-units");
        var stub = dir.Sub("stub");
        await File.WriteAllTextAsync(stub, "#!/bin/sh\n");
        File.SetUnixFileMode(stub, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var copy = dir.Sub(unit);
        await File.WriteAllTextAsync(copy, text.Replace($"ExecStart={executable} ", $"ExecStart={stub} ", StringComparison.Ordinal));
        var runtime = dir.Sub("runtime"); // a user manager needs a runtime directory, which root in a container lacks
        Directory.CreateDirectory(runtime);
        File.SetUnixFileMode(runtime, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var (exit, stdout, stderr) = await Repository.RunAsync(analyze, user ? ["--user", "verify", copy] : ["verify", copy],
            new Dictionary<string, string> { ["XDG_RUNTIME_DIR"] = runtime, ["SYSTEMD_LOG_LEVEL"] = "notice" });

        exit.ShouldBe(0, stdout + stderr);
        (stdout + stderr).Trim().ShouldBeEmpty("any warning (an unknown key, a bad value) fails the unit");
    }
}
