using System.Text;
using TinySync.Core.Contracts;
using TinySync.Server.Tests.Support;

namespace TinySync.Server.Tests.Sync;

public sealed class OpsTests_Sqlite(ServerFixture fixture) : OpsTests(fixture), IClassFixture<ServerFixture>;

public sealed class OpsTests_Postgres(PostgresServerFixture fixture) : OpsTests(fixture), IClassFixture<PostgresServerFixture>;

public abstract class OpsTests(ServerFixture fixture)
{
    TestServer Server => fixture.Server;

    [Fact]
    public async Task A_batch_commits_in_order_with_dense_seqs_and_the_log_echoes_device_and_op_ids()
    {
        using var a = await SyncClient.CreateAsync(Server);
        var ops = new[] { Ops.Mkdir("docs"), Ops.Empty("docs/a.txt"), Ops.Empty("docs/b.txt") };
        var response = await a.CommitAsync(ops);

        response.Results.Select(r => r.Status).ShouldAllBe(s => s == OpStatus.Committed);
        response.Results.Select(r => r.Seq).ShouldBe([1L, 2L, 3L]);
        response.Head.ShouldBe(3);
        var log = await a.LogAsync();
        log.Head.ShouldBe(3);
        log.HasMore.ShouldBeFalse();
        log.Entries.Select(e => e.Seq).ShouldBe([1L, 2L, 3L]);
        log.Entries.Select(e => e.OpId).ShouldBe(ops.Select(o => o.OpId), "a device recognises its own rows by op id");
        log.Entries.ShouldAllBe(e => e.DeviceId == a.DeviceId);
        log.Entries[1].Path.ShouldBe("docs/a.txt");
        log.Entries[1].Kind.ShouldBe(OpKind.Put);
        log.Entries[1].Chunks.ShouldBeEmpty();
        log.Entries[1].Mtime.ShouldBe(ops[1].Mtime);
    }

    [Fact]
    public async Task Two_devices_racing_on_one_path_one_commits_and_the_other_gets_a_conflict_with_the_winners_version()
    {
        using var a = await SyncClient.CreateAsync(Server, "alice");
        using var b = await a.PeerAsync(Server, "bob");
        var results = await Task.WhenAll(a.OneAsync(Ops.Empty("race.txt")), b.OneAsync(Ops.Empty("race.txt")));

        results.Count(r => r.Status == OpStatus.Committed).ShouldBe(1);
        var winner = results.Single(r => r.Status == OpStatus.Committed);
        var loser = results.Single(r => r.Status == OpStatus.Conflict);
        loser.Current.ShouldNotBeNull();
        loser.Current.Version.ShouldBe(winner.Seq!.Value);
        loser.Current.Path.ShouldBe("race.txt");
        (await a.LogAsync()).Entries.Count.ShouldBe(1, "nothing was overwritten");
    }

    [Fact]
    public async Task An_op_applies_only_when_its_base_is_the_current_version()
    {
        using var a = await SyncClient.CreateAsync(Server);
        var v1 = await a.OkAsync(Ops.Empty("f"));
        var v2 = await a.OkAsync(Ops.Empty("f", v1));
        var stale = await a.OneAsync(Ops.Empty("f", v1));
        stale.Status.ShouldBe(OpStatus.Conflict);
        stale.Current!.Version.ShouldBe(v2);
        var gone = await a.OneAsync(Ops.Delete("nothing-here", 5));
        gone.Status.ShouldBe(OpStatus.Conflict);
        gone.Current.ShouldBeNull();
        (await a.OneAsync(Ops.Delete("f", v2))).Status.ShouldBe(OpStatus.Committed);
    }

    [Fact]
    public async Task The_same_op_sent_twice_commits_once_and_answers_with_the_original_seq()
    {
        using var a = await SyncClient.CreateAsync(Server);
        var op = Ops.Empty("once.txt");
        var first = await a.OneAsync(op);
        var again = await a.OneAsync(op);
        again.ShouldBe(first);
        (await a.LogAsync()).Head.ShouldBe(1);
    }

    [Fact]
    public async Task The_same_batch_sent_concurrently_commits_once()
    {
        using var a = await SyncClient.CreateAsync(Server);
        var batch = new[] { Ops.Mkdir("d"), Ops.Empty("d/x"), Ops.Empty("d/y") };
        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => a.CommitAsync(batch)));
        foreach (var response in responses)
        {
            response.Results.Select(r => r.Status).ShouldAllBe(s => s == OpStatus.Committed);
            response.Results.Select(r => r.Seq).ShouldBe([1L, 2L, 3L]);
        }
        (await a.LogAsync()).Entries.Count.ShouldBe(3);
    }

    [Fact]
    public async Task Another_device_reusing_an_op_id_is_a_different_op()
    {
        using var a = await SyncClient.CreateAsync(Server);
        using var b = await a.PeerAsync(Server);
        var op = Ops.Empty("shared-id");
        await a.OkAsync(op);
        var fromB = await b.OneAsync(op);
        fromB.Status.ShouldBe(OpStatus.Conflict, "idempotency is per device; b's op is evaluated and its base 0 no longer holds");
    }

    [Fact]
    public async Task Paths_are_unique_case_insensitively_and_keep_their_case()
    {
        using var a = await SyncClient.CreateAsync(Server);
        var readme = await a.OkAsync(Ops.Empty("README"));
        var twin = await a.OneAsync(Ops.Empty("readme"));
        twin.Status.ShouldBe(OpStatus.Conflict);
        twin.Current!.Path.ShouldBe("README");
        twin.Current.Version.ShouldBe(readme);
        (await a.OneAsync(Ops.Mkdir("Readme"))).Status.ShouldBe(OpStatus.Conflict);
        (await a.TreeAsync()).Select(i => i.Path).ShouldBe(["README"]);
    }

    [Fact]
    public async Task Children_take_the_spelling_of_their_live_parent_directory()
    {
        using var a = await SyncClient.CreateAsync(Server);
        await a.OkAsync(Ops.Mkdir("Docs"));
        await a.OkAsync(Ops.Empty("DOCS/a.txt"));
        (await a.TreeAsync()).Select(i => i.Path).ShouldBe(["Docs", "Docs/a.txt"]);
        (await a.LogAsync()).Entries[^1].Path.ShouldBe("Docs/a.txt");
    }

    [Fact]
    public async Task Directories_are_explicit_so_a_missing_parent_is_rejected_and_one_batch_can_create_both()
    {
        using var a = await SyncClient.CreateAsync(Server);
        var orphan = await a.OneAsync(Ops.Empty("nowhere/f"));
        orphan.Status.ShouldBe(OpStatus.Rejected);
        orphan.Code.ShouldBe(RejectCodes.ParentMissing);
        await a.OkAsync(Ops.Empty("file"));
        (await a.OneAsync(Ops.Mkdir("file/sub"))).Code.ShouldBe(RejectCodes.ParentMissing, "a file is not a directory");

        var both = await a.CommitAsync(Ops.Mkdir("new"), Ops.Empty("new/f"));
        both.Results.ShouldAllBe(r => r.Status == OpStatus.Committed);
    }

    [Fact]
    public async Task Deleting_a_directory_removes_its_subtree_in_one_row()
    {
        using var a = await SyncClient.CreateAsync(Server);
        var r = await a.CommitAsync(Ops.Mkdir("d"), Ops.Mkdir("d/e"), Ops.Empty("d/e/f"), Ops.Empty("dx"));
        await a.OkAsync(Ops.Delete("d", r.Results[0].Seq!.Value));
        (await a.TreeAsync()).Select(i => i.Path).ShouldBe(["dx"], "a sibling sharing the prefix stays");
        var last = (await a.LogAsync()).Entries[^1];
        last.Kind.ShouldBe(OpKind.Delete);
        last.Path.ShouldBe("d");
    }

    [Fact]
    public async Task A_directory_delete_with_seen_is_a_conflict_while_its_subtree_holds_a_change_the_client_has_not_seen()
    {
        using var a = await SyncClient.CreateAsync(Server, "alice");
        using var b = await a.PeerAsync(Server, "bob");
        var r = await a.CommitAsync(Ops.Mkdir("d"), Ops.Mkdir("d/e"), Ops.Empty("d/e/old"));
        var dir = r.Results[0].Seq!.Value;
        var seen = r.Results[2].Seq!.Value; // alice's view: everything up to here
        var added = await b.OkAsync(Ops.Empty("d/e/new")); // bob adds a file alice has not seen; d's own version stays

        var stale = await a.OneAsync(Ops.Delete("d", dir) with { Seen = seen });
        stale.Status.ShouldBe(OpStatus.Conflict, "bob's new file would go with the folder");
        stale.Current.ShouldNotBeNull();
        stale.Current.Path.ShouldBe("d");
        (await a.TreeAsync()).Select(i => i.Path).ShouldBe(["d", "d/e", "d/e/new", "d/e/old"], "nothing was deleted");

        // a file moved in under the folder counts as new too (the move gives it the move's seq)
        await b.OkAsync(Ops.Delete("d/e/new", added));
        var outside = await b.OkAsync(Ops.Empty("outside"));
        var movedIn = await b.OkAsync(Ops.Move("outside", "d/e/outside", outside));
        (await a.OneAsync(Ops.Delete("d", dir) with { Seen = movedIn - 1 })).Status.ShouldBe(OpStatus.Conflict);

        // once the view includes every change, the delete commits; a deletion alice has not seen blocks nothing
        await b.OkAsync(Ops.Delete("d/e/old", seen));
        (await a.OneAsync(Ops.Delete("d", dir) with { Seen = movedIn })).Status.ShouldBe(OpStatus.Committed);
        (await a.TreeAsync()).ShouldBeEmpty();
    }

    [Fact]
    public async Task Seen_belongs_to_delete_ops_and_is_never_negative()
    {
        using var a = await SyncClient.CreateAsync(Server);
        var f = await a.OkAsync(Ops.Empty("f"));
        (await a.OneAsync(Ops.Mkdir("d") with { Seen = 0 })).Code.ShouldBe(RejectCodes.InvalidOp);
        (await a.OneAsync(Ops.Move("f", "g", f) with { Seen = f })).Code.ShouldBe(RejectCodes.InvalidOp);
        (await a.OneAsync(Ops.Delete("f", f) with { Seen = -1 })).Code.ShouldBe(RejectCodes.InvalidOp);
        // on a file it changes nothing: the file's own version is its whole content
        (await a.OneAsync(Ops.Delete("f", f) with { Seen = 0 })).Status.ShouldBe(OpStatus.Committed);
    }

    [Fact]
    public async Task Moving_a_directory_with_1000_files_is_one_log_row_and_every_moved_item_takes_its_seq()
    {
        using var a = await SyncClient.CreateAsync(Server);
        var dir = await a.OkAsync(Ops.Mkdir("big"));
        await a.CommitAsync([.. Enumerable.Range(0, 1000).Select(i => Ops.Empty($"big/f{i:D4}"))]);
        var head = (await a.LogAsync(limit: 1)).Head;

        var moved = await a.OkAsync(Ops.Move("big", "huge", dir));
        moved.ShouldBe(head + 1);
        var log = await a.LogAsync(head);
        log.Entries.Count.ShouldBe(1);
        log.Entries[0].Kind.ShouldBe(OpKind.Move);
        log.Entries[0].NewPath.ShouldBe("huge");
        var tree = await a.TreeAsync();
        tree.Count.ShouldBe(1001);
        tree.ShouldAllBe(i => i.Version == moved && (i.Path == "huge" || i.Path.StartsWith("huge/", StringComparison.Ordinal)));
        await a.OkAsync(Ops.Delete("huge/f0500", moved)); // bases seen in the log match
    }

    [Fact]
    public async Task A_move_follows_the_rules_for_destinations()
    {
        using var a = await SyncClient.CreateAsync(Server);
        var r = await a.CommitAsync(Ops.Mkdir("a"), Ops.Mkdir("a/b"), Ops.Empty("x"), Ops.Empty("y"));
        var a1 = r.Results[0].Seq!.Value;
        var x = r.Results[2].Seq!.Value;

        (await a.OneAsync(Ops.Move("a", "a/b/c", a1))).Code.ShouldBe(RejectCodes.InvalidMove);
        (await a.OneAsync(Ops.Move("x", "Y", x))).Code.ShouldBe(RejectCodes.DestinationExists);
        (await a.OneAsync(Ops.Move("x", "missing/x", x))).Code.ShouldBe(RejectCodes.ParentMissing);
        (await a.OneAsync(Ops.Move("x", "x", x))).Code.ShouldBe(RejectCodes.InvalidMove);
        (await a.OneAsync(Ops.Move("x", "z", x + 100))).Status.ShouldBe(OpStatus.Conflict);

        var renamed = await a.OkAsync(Ops.Move("a", "A", a1)); // case-only rename of a directory
        var tree = await a.TreeAsync();
        tree.Select(i => i.Path).ShouldBe(["A", "A/b", "x", "y"]);
        tree.Single(i => i.Path == "A/b").Version.ShouldBe(renamed);
    }

    [Fact]
    public async Task A_mkdir_over_a_live_directory_bumps_its_version_and_keeps_its_spelling()
    {
        using var a = await SyncClient.CreateAsync(Server);
        var r = await a.CommitAsync(Ops.Mkdir("Docs"), Ops.Empty("Docs/a"));
        var again = await a.OkAsync(Ops.Mkdir("DOCS", r.Results[0].Seq!.Value));
        var tree = await a.TreeAsync();
        tree.Select(i => (i.Path, i.Version)).ShouldBe([("Docs", again), ("Docs/a", r.Results[1].Seq!.Value)]);
        (await a.LogAsync()).Entries[^1].Path.ShouldBe("Docs");
    }

    [Fact]
    public async Task Kinds_do_not_change_in_place()
    {
        using var a = await SyncClient.CreateAsync(Server);
        var dir = await a.OkAsync(Ops.Mkdir("d"));
        var file = await a.OkAsync(Ops.Empty("f"));
        (await a.OneAsync(Ops.Empty("d", dir))).Code.ShouldBe(RejectCodes.KindMismatch);
        (await a.OneAsync(Ops.Mkdir("f", file))).Code.ShouldBe(RejectCodes.KindMismatch);
    }

    [Theory]
    [InlineData("../etc/passwd")]
    [InlineData("/abs")]
    [InlineData("a\\b")]
    [InlineData("a\u0000b")]
    [InlineData("a\u0007b")]
    [InlineData("a//b")]
    [InlineData("./a")]
    [InlineData("trailing/")]
    [InlineData("")]
    [InlineData("e\u0301")] // decomposed é: not NFC
    public async Task Hostile_paths_are_rejected_per_op_and_nothing_changes(string path)
    {
        using var a = await SyncClient.CreateAsync(Server);
        var r = await a.CommitAsync(Ops.Empty(path), Ops.Empty("fine.txt"));
        r.Results[0].Status.ShouldBe(OpStatus.Rejected);
        r.Results[0].Code.ShouldBe(RejectCodes.InvalidPath);
        r.Results[0].Detail.ShouldNotBeNullOrWhiteSpace();
        r.Results[1].Status.ShouldBe(OpStatus.Committed, "one bad op does not sink the batch");
        (await a.TreeAsync()).Select(i => i.Path).ShouldBe(["fine.txt"]);
    }

    [Fact]
    public async Task Over_long_paths_and_segments_are_rejected()
    {
        using var a = await SyncClient.CreateAsync(Server);
        (await a.OneAsync(Ops.Empty(new string('s', 256)))).Code.ShouldBe(RejectCodes.InvalidPath);
        (await a.OneAsync(Ops.Empty(string.Join('/', Enumerable.Repeat(new string('p', 200), 21))))).Code.ShouldBe(RejectCodes.InvalidPath);
        var moveTo = await a.OkAsync(Ops.Empty("m"));
        (await a.OneAsync(Ops.Move("m", "../m", moveTo))).Code.ShouldBe(RejectCodes.InvalidPath);
    }

    [Fact]
    public async Task Container_rules_and_policies_are_enforced()
    {
        using var a = await SyncClient.CreateAsync(Server);
        using (var admin = Server.Admin())
        {
            (await admin.PutAsync($"v1/vaults/{a.VaultId}/containers/frozen", Json("""{"namespace":"x","policy":{"read_only":true}}"""))).EnsureSuccessStatusCode();
            (await admin.PutAsync($"v1/vaults/{a.VaultId}/containers/small", Json("""{"namespace":"x","policy":{"max_file_bytes":3}}"""))).EnsureSuccessStatusCode();
        }
        (await a.OneAsync(Ops.Empty("f").In("nope"))).Code.ShouldBe(RejectCodes.UnknownContainer);
        (await a.OneAsync(Ops.Empty("f").In("frozen"))).Code.ShouldBe(RejectCodes.ReadOnly);
        (await a.OneAsync(Ops.Mkdir("d").In("frozen"))).Code.ShouldBe(RejectCodes.ReadOnly);
        var four = await a.UploadAsync("1234"u8.ToArray());
        (await a.OneAsync(Ops.Put("f", 0, 4, four).In("small"))).Code.ShouldBe(RejectCodes.FileTooLarge);
        var three = await a.UploadAsync("123"u8.ToArray());
        (await a.OneAsync(Ops.Put("f", 0, 3, three).In("small"))).Status.ShouldBe(OpStatus.Committed);
        (await a.TreeAsync()).ShouldBeEmpty("containers are separate trees");
        (await a.TreeAsync("small")).Select(i => i.Path).ShouldBe(["f"]);
    }

    [Fact]
    public async Task A_put_must_reference_chunks_this_vault_holds_and_add_up_to_its_size()
    {
        using var a = await SyncClient.CreateAsync(Server);
        var hash = await a.UploadAsync("hello"u8.ToArray());
        var unknown = new string('0', 64);
        var missing = await a.OneAsync(Ops.Put("f", 0, 5, unknown));
        missing.Code.ShouldBe(RejectCodes.MissingChunks);
        missing.Detail!.ShouldContain(unknown);
        (await a.OneAsync(Ops.Put("f", 0, 6, hash))).Code.ShouldBe(RejectCodes.SizeMismatch);
        (await a.OneAsync(Ops.Put("f", 0, 5, "NOT-A-HASH"))).Code.ShouldBe(RejectCodes.InvalidOp);
        (await a.OneAsync(Ops.Put("f", 0, 10, hash, hash))).Status.ShouldBe(OpStatus.Committed, "a chunk may repeat");
    }

    [Fact]
    public async Task Ops_with_fields_that_do_not_fit_their_kind_are_rejected()
    {
        using var a = await SyncClient.CreateAsync(Server);
        (await a.OneAsync(Ops.Mkdir("d") with { Size = 3 })).Code.ShouldBe(RejectCodes.InvalidOp);
        (await a.OneAsync(Ops.Empty("f") with { NewPath = "g" })).Code.ShouldBe(RejectCodes.InvalidOp);
        (await a.OneAsync(Ops.Empty("f") with { Chunks = null })).Code.ShouldBe(RejectCodes.InvalidOp);
        (await a.OneAsync(Ops.Move("f", "g", 1) with { NewPath = null })).Code.ShouldBe(RejectCodes.InvalidOp);
        (await a.OneAsync(Ops.Delete("f", 0))).Code.ShouldBe(RejectCodes.InvalidOp);
        (await a.OneAsync(Ops.Empty("f", -1))).Code.ShouldBe(RejectCodes.InvalidOp);
        (await a.LogAsync()).Head.ShouldBe(0);
    }

    [Fact]
    public async Task Malformed_bodies_get_problem_details_and_change_nothing()
    {
        using var a = await SyncClient.CreateAsync(Server);
        await (await a.PostOpsRawAsync("{\"ops\": [")).ShouldBeProblemAsync(400, ProblemCodes.InvalidJson);
        await (await a.PostOpsRawAsync($$"""{"ops":[{"op_id":"{{Guid.NewGuid()}}","kind":"chmod","path":"f","base":0}]}""")).ShouldBeProblemAsync(400, ProblemCodes.InvalidJson);
        await (await a.PostOpsRawAsync($$"""{"ops":[{"op_id":"{{Guid.NewGuid()}}","kind":"mkdir","path":"f","base":0,"extra":1}]}""")).ShouldBeProblemAsync(400, ProblemCodes.InvalidJson);
        await (await a.PostOpsRawAsync("""{"ops":[{"op_id":"not-a-uuid","kind":"mkdir","path":"f","base":0}]}""")).ShouldBeProblemAsync(400, ProblemCodes.InvalidJson);
        await (await a.PostOpsRawAsync("""{"ops":[null]}""")).ShouldBeProblemAsync(400, ProblemCodes.InvalidJson);
        await (await a.PostOpsRawAsync("""{}""")).ShouldBeProblemAsync(400, ProblemCodes.InvalidJson);
        (await a.LogAsync()).Head.ShouldBe(0);
    }

    [Fact]
    public async Task Batches_over_1000_ops_and_bodies_over_16_MiB_are_refused_whole()
    {
        using var a = await SyncClient.CreateAsync(Server);
        var tooMany = await a.Http.PostAsync($"{a.Base}/ops", Json(System.Text.Json.JsonSerializer.Serialize(
            new OpsRequest([.. Enumerable.Range(0, 1001).Select(i => Ops.Mkdir($"d{i}"))]), Core.Json.TinySyncJson.Options)));
        await tooMany.ShouldBeProblemAsync(400, ProblemCodes.BatchTooLarge);

        var huge = new StringBuilder("{\"ops\":[");
        huge.Append(new string(' ', 17 * 1024 * 1024)).Append("]}");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{a.Base}/ops") { Content = Json(huge.ToString()) };
        request.Headers.ExpectContinue = true; // the server refuses before the body is sent
        await (await a.Http.SendAsync(request)).ShouldBeProblemAsync(413, ProblemCodes.BodyTooLarge);
        (await a.LogAsync()).Head.ShouldBe(0);
    }

    [Fact]
    public async Task A_commit_publishes_the_new_head_on_the_signal_bus()
    {
        using var a = await SyncClient.CreateAsync(Server);
        var bus = (Signals.ISignalBus)Server.App.Services.GetService(typeof(Signals.ISignalBus))!;
        var heads = new List<long>();
        void OnCommit(Guid vault, long head) { if (vault == a.VaultId) lock (heads) heads.Add(head); }
        bus.Committed += OnCommit;
        try
        {
            var op = Ops.Empty("f");
            await a.CommitAsync(op, Ops.Mkdir("d"));
            await a.CommitAsync(op); // a retry commits nothing new: no hint
            await a.CommitAsync(Ops.Empty("g", 99)); // a conflict: no hint
            // On PostgreSQL signals come back through LISTEN/NOTIFY, asynchronously but in commit order: a later
            // commit's hint is the barrier behind which any hint the retry or the conflict sent would have arrived.
            await a.CommitAsync(Ops.Mkdir("e"));
            for (var waited = 0; waited < 10_000 && !Contains(3); waited += 10) await Task.Delay(10);
        }
        finally { bus.Committed -= OnCommit; }
        lock (heads) heads.ShouldBe([2L, 3L]);

        bool Contains(long head) { lock (heads) return heads.Contains(head); }
    }
}
