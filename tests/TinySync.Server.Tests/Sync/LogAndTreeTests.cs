using System.Net.Http.Json;
using TinySync.Core.Contracts;
using TinySync.Core.Json;
using TinySync.Core.Sync;
using TinySync.Server.Tests.Support;

namespace TinySync.Server.Tests.Sync;

public class LogAndTreeTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    TestServer Server => fixture.Server;

    [Fact]
    public async Task The_log_pages_oldest_first_with_has_more_until_the_head()
    {
        using var a = await SyncClient.CreateAsync(Server);
        await a.CommitAsync([.. Enumerable.Range(0, 25).Select(i => Ops.Mkdir($"d{i}"))]);
        var first = await a.LogAsync(0, 10);
        first.Entries.Select(e => e.Seq).ShouldBe(Enumerable.Range(1, 10).Select(i => (long)i));
        first.HasMore.ShouldBeTrue();
        first.Head.ShouldBe(25);
        var last = await a.LogAsync(20, 10);
        last.Entries.Select(e => e.Seq).ShouldBe([21L, 22L, 23L, 24L, 25L]);
        last.HasMore.ShouldBeFalse();
        var caughtUp = await a.LogAsync(25);
        caughtUp.Entries.ShouldBeEmpty();
        caughtUp.HasMore.ShouldBeFalse();
        (await a.FullLogAsync()).Count.ShouldBe(25);
    }

    [Theory]
    [InlineData("after=-1", ProblemCodes.InvalidArgument)]
    [InlineData("after=abc", ProblemCodes.InvalidArgument)]
    [InlineData("after=1.5", ProblemCodes.InvalidArgument)]
    [InlineData("after=0&limit=0", ProblemCodes.InvalidArgument)]
    [InlineData("after=0&limit=10001", ProblemCodes.InvalidArgument)]
    [InlineData("after=3", ProblemCodes.CursorAhead)]
    public async Task Bad_log_cursors_are_refused_with_a_clear_problem(string query, string code)
    {
        using var a = await SyncClient.CreateAsync(Server);
        await a.OkAsync(Ops.Mkdir("d"));
        var problem = await (await a.Http.GetAsync($"{a.Base}/log?{query}")).ShouldBeProblemAsync(400, code);
        if (code == ProblemCodes.CursorAhead) problem.Detail!.ShouldContain("/tree");
    }

    [Fact]
    public async Task The_tree_pages_by_path_and_reports_the_head_it_reflects()
    {
        using var a = await SyncClient.CreateAsync(Server);
        await a.CommitAsync([Ops.Mkdir("d"), .. Enumerable.Range(0, 6).Select(i => Ops.Empty($"d/f{i}"))]);
        var page = await a.TreePageAsync(limit: 4);
        page.Seq.ShouldBe(7);
        page.Entries.Select(i => i.Path).ShouldBe(["d", "d/f0", "d/f1", "d/f2"]);
        page.Next.ShouldNotBeNull();
        var rest = await a.TreePageAsync(cursor: page.Next, limit: 4);
        rest.Entries.Select(i => i.Path).ShouldBe(["d/f3", "d/f4", "d/f5"]);
        rest.Next.ShouldBeNull();
        page.Entries[1].Kind.ShouldBe(ItemKind.File);
        page.Entries[1].Size.ShouldBe(0);
        page.Entries[1].Version.ShouldBe(2);
    }

    [Fact]
    public async Task Unknown_containers_and_foreign_cursors_are_refused()
    {
        using var a = await SyncClient.CreateAsync(Server);
        await (await a.Http.GetAsync($"{a.Base}/tree?container=nope")).ShouldBeProblemAsync(404, ProblemCodes.ContainerNotFound);
        await (await a.Http.GetAsync($"{a.Base}/tree?container=NOT%20VALID")).ShouldBeProblemAsync(400, ProblemCodes.InvalidContainerName);
        await (await a.Http.GetAsync($"{a.Base}/tree?cursor=%%%")).ShouldBeProblemAsync(400, ProblemCodes.InvalidArgument);
    }

    [Fact]
    public async Task Tree_pages_read_while_commits_land_plus_the_log_equal_a_full_replay()
    {
        using var a = await SyncClient.CreateAsync(Server);
        using var b = await a.PeerAsync(Server);
        await a.CommitAsync([Ops.Mkdir("m"), .. Enumerable.Range(0, 30).Select(i => Ops.Empty($"m/f{i:D2}")), Ops.Mkdir("z")]);

        // b bootstraps with small pages while a keeps committing (puts, deletes, a rename) between them.
        var random = new Random(7);
        var tree = new RemoteTree();
        string? cursor = null;
        var step = 0;
        do
        {
            var page = await b.TreePageAsync(cursor: cursor, limit: 5);
            tree.LoadPage(page);
            cursor = page.Next;
            var files = (await a.TreeAsync()).Where(i => i.Kind == ItemKind.File).OrderBy(_ => random.Next()).ToList();
            await a.CommitAsync(
                Ops.Empty($"z/new{step++}"),
                Ops.Empty(files[0].Path, files[0].Version), // an edit
                Ops.Delete(files[1].Path, files[1].Version));
        } while (cursor is not null);

        foreach (var e in await b.FullLogAsync(tree.Seq)) tree.Apply(e).ShouldNotBe(ApplyResult.TornSnapshot);
        var full = new RemoteTree();
        foreach (var e in await b.FullLogAsync()) full.Apply(e);
        var server = await b.TreeAsync();
        Render(tree.Items).ShouldBe(Render(full.Items));
        Render(tree.Items).ShouldBe(Render(server));
    }

    [Fact]
    public async Task A_rename_between_tree_pages_is_detected_so_the_device_bootstraps_again()
    {
        using var a = await SyncClient.CreateAsync(Server);
        var dirs = await a.CommitAsync(Ops.Mkdir("a"), Ops.Mkdir("b"), Ops.Mkdir("zz"), Ops.Empty("zz/precious"));
        var tree = new RemoteTree();
        var page = await a.TreePageAsync(limit: 2); // "a", "b"
        tree.LoadPage(page);
        await a.OkAsync(Ops.Move("zz", "a/zz", dirs.Results[2].Seq!.Value)); // from the unread part into the read part
        var rest = await a.TreePageAsync(cursor: page.Next, limit: 100);
        tree.LoadPage(rest);
        rest.Entries.ShouldBeEmpty("the moved items now sort before the cursor");

        var results = (await a.FullLogAsync(tree.Seq)).Select(tree.Apply).ToList();
        results.ShouldContain(ApplyResult.TornSnapshot);
        var again = new RemoteTree();
        again.LoadPage(await a.TreePageAsync());
        again.Find("a/zz/precious").ShouldNotBeNull();
    }

    static string Render(IEnumerable<Item> items) =>
        string.Join("\n", items.OrderBy(i => i.Path, StringComparer.Ordinal).Select(i => $"{i.Path}|{i.Kind}|{i.Version}|{i.Size}|{string.Join(",", i.Chunks ?? [])}"));
}
