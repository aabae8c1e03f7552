using TinySync.Client.Engine;

namespace TinySync.Client.Tests.Engine;

public sealed class ConflictNamesTests
{
    static readonly DateTimeOffset When = new(2026, 11, 22, 9, 5, 7, TimeSpan.Zero);

    [Theory]
    [InlineData("notes.txt", "notes (conflict from Anna's laptop 2026-11-22 090507).txt")]
    [InlineData("dir/archive.tar.gz", "dir/archive.tar (conflict from Anna's laptop 2026-11-22 090507).gz")]
    [InlineData(".bashrc", ".bashrc (conflict from Anna's laptop 2026-11-22 090507)")]
    [InlineData("Makefile", "Makefile (conflict from Anna's laptop 2026-11-22 090507)")]
    public void Names_follow_the_spec(string path, string expected) =>
        ConflictNames.For(path, "Anna's laptop", When).ShouldBe(expected);

    [Fact]
    public void A_taken_name_gets_a_counter()
    {
        var first = ConflictNames.For("a.txt", "pc", When);
        ConflictNames.For("a.txt", "pc", When, p => p == first).ShouldBe("a (conflict from pc 2026-11-22 090507 2).txt");
    }

    [Fact]
    public void Slashes_in_the_device_name_cannot_create_directories() =>
        ConflictNames.For("a.txt", "x/y", When).ShouldBe("a (conflict from x_y 2026-11-22 090507).txt");

    [Fact]
    public void A_device_name_with_characters_the_server_refuses_still_gives_a_portable_copy_name()
    {
        var name = ConflictNames.For("docs/a.txt", "Bob's PC: \"work\" <1>|?*\u202E", When);
        name.ShouldBe("docs/a (conflict from Bob's PC_ _work_ _1_____ 2026-11-22 090507).txt");
        TinySync.Core.Paths.PortableName.Check(name).ShouldBeNull();
    }

    [Fact]
    public void Conflict_copies_are_recognized()
    {
        ConflictNames.IsConflictCopy("a (conflict from pc 2026-11-22 090507).txt").ShouldBeTrue();
        ConflictNames.IsConflictCopy("a (draft).txt").ShouldBeFalse();
    }
}
