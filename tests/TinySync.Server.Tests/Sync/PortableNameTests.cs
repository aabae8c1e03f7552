using TinySync.Core.Contracts;
using TinySync.Server.Tests.Support;

namespace TinySync.Server.Tests.Sync;

public sealed class PortableNameTests_Sqlite(ServerFixture fixture) : PortableNameTests(fixture), IClassFixture<ServerFixture>;

public sealed class PortableNameTests_Postgres(PostgresServerFixture fixture) : PortableNameTests(fixture), IClassFixture<PostgresServerFixture>;

/// <summary>Names every platform can hold and no one can spoof (docs/protocol.md, decision 0318), over the wire.</summary>
public abstract class PortableNameTests(ServerFixture fixture)
{
    TestServer Server => fixture.Server;

    [Theory]
    [InlineData("photo\u202Egnp.exe", "U+202E")]     // right-to-left override: shows as photoexe.png
    [InlineData("a\u200Bb.txt", "U+200B")]           // zero-width space
    [InlineData("a\u200Db.txt", "U+200D")]           // zero-width joiner between ASCII letters
    [InlineData("\u200Dx", "U+200D")]                // joiner at the start of a name
    [InlineData("\uFEFFreadme.txt", "U+FEFF")]       // byte-order mark
    [InlineData("soft\u00ADhyphen", "U+00AD")]
    [InlineData("line\u2028break", "U+2028")]
    [InlineData("para\u2029break", "U+2029")]
    [InlineData(" leading", "starts with a space")]
    [InlineData("trailing ", "ends with a space")]
    [InlineData("trailing.", "ends with a dot")]
    [InlineData("CON", "device name CON")]
    [InlineData("con", "device name CON")]
    [InlineData("aux.txt", "device name AUX")]
    [InlineData("com1.log", "device name COM1")]
    [InlineData("LPT9.tar.gz", "device name LPT9")]
    [InlineData("nul", "device name NUL")]
    [InlineData("PRN.", "ends with a dot")]
    [InlineData("COM\u00B9", "device name COM\u00B9")]
    [InlineData("a:b", "contains ':'")]
    [InlineData("q?.txt", "contains '?'")]
    [InlineData("<tag>", "contains '<'")]
    [InlineData("pipe|name", "contains '|'")]
    [InlineData("star*", "contains '*'")]
    [InlineData("say \"hi\"", "contains '\"'")]
    public async Task A_name_other_platforms_cannot_hold_is_refused_with_name_not_portable_and_the_rule(string name, string rule)
    {
        using var a = await SyncClient.CreateAsync(Server);
        var put = await a.OneAsync(Ops.Empty(name));
        put.Status.ShouldBe(OpStatus.Rejected);
        put.Code.ShouldBe(RejectCodes.NameNotPortable);
        put.Detail!.ShouldContain(rule);
        put.Detail!.ShouldNotContain("\u202E", Case.Sensitive, "the detail never echoes a bidi override");
        (await a.OneAsync(Ops.Mkdir(name))).Code.ShouldBe(RejectCodes.NameNotPortable);
        (await a.TreeAsync()).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_non_portable_segment_anywhere_in_the_path_or_as_a_move_target_is_refused()
    {
        using var a = await SyncClient.CreateAsync(Server);
        await a.OkAsync(Ops.Mkdir("docs"));
        var f = await a.OkAsync(Ops.Empty("docs/a.txt"));
        (await a.OneAsync(Ops.Empty("docs/aux/x.txt"))).Code.ShouldBe(RejectCodes.NameNotPortable);
        var move = await a.OneAsync(Ops.Move("docs/a.txt", "docs/a?.txt", f));
        move.Code.ShouldBe(RejectCodes.NameNotPortable);
        move.Detail!.ShouldStartWith("new_path:");
    }

    [Theory]
    [InlineData("ünïcødé ファイル.txt")]
    [InlineData("emoji 🎉🚀.md")]
    [InlineData("family 👩\u200D👩\u200D👧.jpg")]   // zero-width joiners inside an emoji sequence
    [InlineData("می\u200Cخواهم.txt")]               // zero-width non-joiner inside a Persian word
    [InlineData("Ελληνικά και русский")]
    [InlineData("CONSOLE.txt")]
    [InlineData("com10")]
    [InlineData(".hidden")]
    [InlineData("a.b.c")]
    [InlineData("x [1] (copy) #2 & 'q' ~ $ % ^ @ ! = + ; ,")]
    public async Task Ordinary_unicode_and_punctuation_are_accepted(string name)
    {
        using var a = await SyncClient.CreateAsync(Server);
        await a.OkAsync(Ops.Empty(name));
        (await a.TreeAsync()).Single().Path.ShouldBe(name);
    }

    [Fact]
    public async Task An_item_stored_under_a_name_from_before_the_rule_can_still_be_deleted_or_moved_away()
    {
        using var a = await SyncClient.CreateAsync(Server);
        var con = await a.OkAsync(Ops.Empty("legacy.txt"));
        var aux = await a.OkAsync(Ops.Empty("legacy2.txt"));
        // Names a server before this rule accepted: rename the stored rows behind the server's back.
        foreach (var (from, to) in new[] { ("legacy.txt", "CON"), ("legacy2.txt", "aux.txt") })
        {
            Identity.Db.Tamper(Server, "UPDATE items SET path = @p, path_key = @k WHERE vault_id = @v AND path = @o",
                ("@p", to), ("@k", to.ToUpperInvariant()), ("@v", a.VaultId.ToString("D")), ("@o", from));
        }
        (await a.OneAsync(Ops.Delete("CON", con))).Status.ShouldBe(OpStatus.Committed);
        (await a.OneAsync(Ops.Move("aux.txt", "aux-file.txt", aux))).Status.ShouldBe(OpStatus.Committed);
        (await a.TreeAsync()).Select(i => i.Path).ShouldBe(["aux-file.txt"]);
    }
}
