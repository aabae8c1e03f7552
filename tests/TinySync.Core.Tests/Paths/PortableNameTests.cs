using TinySync.Core.Paths;

namespace TinySync.Core.Tests.Paths;

public sealed class PortableNameTests
{
    [Theory]
    [InlineData("CON")]
    [InlineData("con.txt")]
    [InlineData("Con .txt")]
    [InlineData("PRN")]
    [InlineData("AUX.tar.gz")]
    [InlineData("nul")]
    [InlineData("COM1")]
    [InlineData("com9.log")]
    [InlineData("LPT1")]
    [InlineData("lpt9.x")]
    [InlineData("COM\u00B2")]
    [InlineData("LPT\u00B3.txt")]
    public void Windows_device_names_are_refused_with_or_without_an_extension(string name) =>
        PortableName.Check(name)!.ShouldContain("Windows device name");

    [Theory]
    [InlineData("CONSOLE")]
    [InlineData("COM10")]
    [InlineData("COM0")]
    [InlineData("xcon")]
    [InlineData("con-tract.txt")]
    [InlineData(".con")]
    public void Names_that_only_look_like_device_names_are_accepted(string name) => PortableName.Check(name).ShouldBeNull();

    [Theory]
    [InlineData("a\u202Eb", "U+202E")]
    [InlineData("a\u200Eb", "U+200E")]
    [InlineData("\u200Bx", "U+200B")]
    [InlineData("x\u2060y", "U+2060")]
    [InlineData("x\uFEFF", "U+FEFF")]
    [InlineData("tag\U000E0041", "U+E0041")]    // a Cf character outside the BMP
    [InlineData("a\u200Cb", "U+200C")]          // joiners between ASCII letters only hide something
    [InlineData("é\u200D", "U+200D")]           // and at the end of a name
    [InlineData("x\u2028y", "U+2028")]
    public void Invisible_and_separator_characters_are_refused_by_code_point(string name, string codePoint)
    {
        var rule = PortableName.Check(name)!;
        rule.ShouldContain(codePoint);
        rule.ShouldNotContain(name, Case.Sensitive, "the detail never echoes the invisible character");
    }

    [Fact]
    public void Every_segment_of_a_path_is_checked_and_the_first_offending_one_is_named()
    {
        PortableName.Check("docs/ok/aux.txt")!.ShouldContain("'aux.txt'");
        PortableName.Check("a?/b:")!.ShouldContain("'a?'");
        PortableName.Check("docs/ünïcødé ファイル.txt").ShouldBeNull();
        PortableName.IsPortable("family 👩\u200D👩\u200D👧/می\u200Cخواهم.txt").ShouldBeTrue();
    }

    [Theory]
    [InlineData(" x", "starts with a space")]
    [InlineData("x ", "ends with a space")]
    [InlineData("x.", "ends with a dot")]
    [InlineData("a<b", "'<'")]
    [InlineData("a>b", "'>'")]
    [InlineData("a\"b", "'\"'")]
    [InlineData("a|b", "'|'")]
    [InlineData("a*b", "'*'")]
    public void Each_rule_is_named_in_the_detail(string name, string rule) => PortableName.Check(name)!.ShouldContain(rule);
}
