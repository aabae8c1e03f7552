using TinySync.Server.Tests.Support;

namespace TinySync.Server.Tests.Operations;

/// <summary>A start-up configuration error exits non-zero with one line that names the setting.</summary>
public class StartupTests
{
    [Theory]
    [InlineData("TINYSYNC_OPEN_DEVICE_REGISTRATION", "maybe", "TinySync:OpenDeviceRegistration (TINYSYNC_OPEN_DEVICE_REGISTRATION) must be true or false")]
    [InlineData("TinySync__OpenDeviceRegistration", "maybe", "TinySync:OpenDeviceRegistration (TINYSYNC_OPEN_DEVICE_REGISTRATION) must be true or false")]
    [InlineData("TINYSYNC_ADMIN_TOKEN", "too-short", "TinySync:AdminToken (TINYSYNC_ADMIN_TOKEN) is shorter than 16 characters")]
    [InlineData("TINYSYNC_DATABASE", "Port=5432", "TINYSYNC_DATABASE names no host")]
    [InlineData("TINYSYNC_HISTORY_RETENTION_DAYS", "-1", "TinySync:HistoryRetentionDays (TINYSYNC_HISTORY_RETENTION_DAYS) must be a non-negative number of days")]
    [InlineData("TinySync__Stream__MaxSubscriptions", "0", "TinySync:Stream:MaxSubscriptions (TINYSYNC_STREAM_MAX_SUBSCRIPTIONS) must be a positive whole number")]
    [InlineData("TinySync__GcIntervalMinutes", "hourly", "TinySync:GcIntervalMinutes (TINYSYNC_GC_INTERVAL_MINUTES) must be a number")]
    [InlineData("TinySync__DataDri", "/tmp/x", "TinySync:DataDri is not a setting")]
    public async Task A_bad_setting_exits_non_zero_with_one_line_naming_it(string variable, string value, string expected)
    {
        using var dir = new TempDir();
        await using var process = new ServerProcess(dir.Sub("data"), new Dictionary<string, string> { [variable] = value });
        var (exit, output) = await process.RunExpectingFailureAsync();

        exit.ShouldBe(2, output);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        lines.ShouldHaveSingleItem(output).ShouldStartWith("tinysync-server: ");
        lines[0].ShouldContain(expected);
        output.ShouldNotContain("   at ");
        output.ShouldNotContain("Exception");
        if (variable == "TINYSYNC_ADMIN_TOKEN") output.ShouldNotContain(value, Case.Sensitive, "never echo a secret, even a bad one");
    }

    [Fact]
    public async Task Version_and_help_answer_without_starting_the_server()
    {
        using var dir = new TempDir();
        await using var version = new ServerProcess(dir.Sub("data")) { Arguments = { "--version" } };
        var (exit, output) = await version.RunExpectingFailureAsync();
        exit.ShouldBe(0);
        output.Trim().ShouldMatch(@"^tinysync-server \d+\.\d+\.\d+\S*$");

        await using var help = new ServerProcess(dir.Sub("data")) { Arguments = { "--help" } };
        (exit, output) = await help.RunExpectingFailureAsync();
        exit.ShouldBe(0);
        output.ShouldContain("OpenDeviceRegistration");
        output.ShouldContain("TINYSYNC_OPEN_DEVICE_REGISTRATION");
        output.ShouldContain("--urls");
        Directory.Exists(dir.Sub("data")).ShouldBeFalse("--help must not create the data directory");
    }
}
