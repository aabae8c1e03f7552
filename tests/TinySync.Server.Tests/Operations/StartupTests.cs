using TinySync.Server.Tests.Support;

namespace TinySync.Server.Tests.Operations;

/// <summary>A start-up configuration error exits non-zero with one line that names the setting.</summary>
public class StartupTests
{
    [Theory]
    [InlineData("TINYSYNC_OPEN_DEVICE_REGISTRATION", "maybe")]
    [InlineData("TINYSYNC_ADMIN_TOKEN", "too-short")]
    [InlineData("TINYSYNC_DATABASE", "Host=127.0.0.1;Database=nope")]
    [InlineData("TINYSYNC_HISTORY_RETENTION_DAYS", "-1")]
    public async Task A_bad_setting_exits_non_zero_with_one_line_naming_it(string setting, string value)
    {
        using var dir = new TempDir();
        await using var process = new ServerProcess(dir.Sub("data"), new Dictionary<string, string> { [setting] = value });
        var (exit, output) = await process.RunExpectingFailureAsync();

        exit.ShouldNotBe(0, output);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        lines.ShouldHaveSingleItem(output).ShouldContain(setting);
        output.ShouldNotContain("   at ");
        output.ShouldNotContain("Exception");
        if (setting == "TINYSYNC_ADMIN_TOKEN") output.ShouldNotContain(value, Case.Sensitive, "never echo a secret, even a bad one");
    }
}
