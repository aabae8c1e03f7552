using TinySync.Client.Scanning;

namespace TinySync.Client.Tests.Scanning;

public sealed class IgnoreRulesTests
{
    [Fact]
    public void Gitignore_patterns_apply_to_files_and_directories()
    {
        var rules = IgnoreRules.FromLines(["*.log", "build/", "!keep.log", "/root-only.txt"]);
        rules.IsIgnored("app.log", false).ShouldBeTrue();
        rules.IsIgnored("sub/app.log", false).ShouldBeTrue();
        rules.IsIgnored("keep.log", false).ShouldBeFalse();
        rules.IsIgnored("build", true).ShouldBeTrue();
        rules.IsIgnored("build", false).ShouldBeFalse();
        rules.IsIgnored("root-only.txt", false).ShouldBeTrue();
        rules.IsIgnored("src/main.c", false).ShouldBeFalse();
    }

    [Fact]
    public void The_engines_temporary_files_are_always_ignored()
    {
        IgnoreRules.None.IsIgnored("dir/.tinysync-tmp-0123abcd", false).ShouldBeTrue();
        IgnoreRules.None.IsIgnored(".tinysyncignore", false).ShouldBeFalse();
    }
}
