using TinySync.Core.Contracts;
using TinySync.Server.Tests.Support;

namespace TinySync.Server.Tests.Sync;

public class OpsTests
{
    [Fact]
    public async Task A_batch_commits_in_order_with_dense_seqs_and_the_log_echoes_device_and_op_ids()
    {
        await using var server = await TestServer.StartAsync();
        using var a = await SyncClient.CreateAsync(server);
        var ops = new[] { Ops.Mkdir("docs"), Ops.Empty("docs/a.txt"), Ops.Empty("docs/b.txt") };
        var response = await a.CommitAsync(ops);

        response.Results.Select(r => r.Status).ShouldAllBe(s => s == OpStatus.Committed);
        response.Results.Select(r => r.Seq).ShouldBe([1L, 2L, 3L]);
        response.Head.ShouldBe(3);
        var log = await a.LogAsync();
        log.Head.ShouldBe(3);
        log.HasMore.ShouldBeFalse();
        log.Entries.Select(e => e.Seq).ShouldBe([1L, 2L, 3L]);
        log.Entries.Select(e => e.OpId).ShouldBe(ops.Select(o => o.OpId));
        log.Entries.ShouldAllBe(e => e.DeviceId == a.DeviceId);
        log.Entries[1].Path.ShouldBe("docs/a.txt");
        log.Entries[1].Kind.ShouldBe(OpKind.Put);
        log.Entries[1].Chunks.ShouldBeEmpty();
    }
}
