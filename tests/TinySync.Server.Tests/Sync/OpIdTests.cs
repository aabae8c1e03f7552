using System.Net.Http.Json;
using TinySync.Core.Contracts;
using TinySync.Server.Tests.Identity;
using TinySync.Server.Tests.Support;

namespace TinySync.Server.Tests.Sync;

public sealed class OpIdTests_Sqlite(ServerFixture fixture) : OpIdTests(fixture), IClassFixture<ServerFixture>;

public sealed class OpIdTests_Postgres(PostgresServerFixture fixture) : OpIdTests(fixture), IClassFixture<PostgresServerFixture>;

/// <summary>Idempotency that cannot lie (docs/protocol.md, decision 0316): the server remembers what each op_id meant.</summary>
public abstract class OpIdTests(ServerFixture fixture)
{
    TestServer Server => fixture.Server;

    [Fact]
    public async Task An_op_id_reused_with_different_content_is_refused_as_op_id_reused_and_changes_nothing()
    {
        using var a = await SyncClient.CreateAsync(Server);
        var first = Ops.Mkdir("docs");
        var seq = await a.OkAsync(first);

        var reused = await a.OneAsync(Ops.Mkdir("photos") with { OpId = first.OpId });
        reused.Status.ShouldBe(OpStatus.Rejected);
        reused.Code.ShouldBe(RejectCodes.OpIdReused);
        reused.Detail!.ShouldContain("new op_id");
        (await a.TreeAsync()).Select(i => i.Path).ShouldBe(["docs"], "nothing of the new op happened");
        (await a.LogAsync()).Head.ShouldBe(seq);

        var retry = await a.OneAsync(first);
        retry.Status.ShouldBe(OpStatus.Committed, "the identical retry still gets the original result");
        retry.Seq.ShouldBe(seq);
    }

    [Fact]
    public async Task A_put_retried_with_other_chunks_under_the_same_op_id_is_refused()
    {
        using var a = await SyncClient.CreateAsync(Server);
        var one = await a.UploadAsync("one"u8.ToArray());
        var two = await a.UploadAsync("two"u8.ToArray());
        var put = Ops.Put("f.txt", 0, 3, one);
        var seq = await a.OkAsync(put);

        (await a.OneAsync(put with { Chunks = [two] })).Code.ShouldBe(RejectCodes.OpIdReused);
        (await a.OneAsync(put)).Seq.ShouldBe(seq);
        (await a.TreeAsync()).Single().Chunks.ShouldBe([one]);
    }

    [Fact]
    public async Task A_batch_naming_one_op_id_twice_is_refused_with_400_before_anything_is_applied()
    {
        using var a = await SyncClient.CreateAsync(Server);
        var first = Ops.Mkdir("a");
        var twin = Ops.Mkdir("b") with { OpId = first.OpId };
        var response = await a.Http.PostAsJsonAsync($"{a.Base}/ops", new OpsRequest([Ops.Mkdir("before"), first, twin]), Core.Json.TinySyncJson.Options);
        var problem = await response.ShouldBeProblemAsync(400, ProblemCodes.DuplicateOpId);
        problem.Detail!.ShouldContain(first.OpId.ToString());
        (await a.LogAsync()).Head.ShouldBe(0, "not even the op before the twins was applied");
    }

    [Fact]
    public async Task A_key_stored_before_digests_were_kept_still_answers_a_retry_with_its_original_result()
    {
        using var a = await SyncClient.CreateAsync(Server);
        var op = Ops.Mkdir("old");
        var seq = await a.OkAsync(op);
        Db.Tamper(Server, "UPDATE idempotency_keys SET digest = NULL WHERE op_id = @o", ("@o", op.OpId.ToString("D")));

        (await a.OneAsync(op)).Seq.ShouldBe(seq);
        var other = await a.OneAsync(Ops.Mkdir("other") with { OpId = op.OpId });
        other.Status.ShouldBe(OpStatus.Committed, "without a digest the server cannot tell; it answers as it always did");
        other.Seq.ShouldBe(seq);
        (await a.TreeAsync()).Select(i => i.Path).ShouldBe(["old"]);
    }
}
