using System.Text;
using System.Text.Json;
using TinySync.Core.Chunking;
using TinySync.Core.Contracts;
using TinySync.Core.Json;
using TinySync.Server.Tests.Identity;
using TinySync.Server.Tests.Support;

namespace TinySync.Server.Tests.Sync;

public sealed class AccessAtCommitTests_Sqlite(ServerFixture fixture) : AccessAtCommitTests(fixture), IClassFixture<ServerFixture>;

public sealed class AccessAtCommitTests_Postgres(PostgresServerFixture fixture) : AccessAtCommitTests(fixture), IClassFixture<PostgresServerFixture>;

/// <summary>
/// Authorization holds at the moment of writing (docs/protocol.md, decision 0220): a request opened before a revocation or an
/// edge removal, its body still arriving, writes nothing after it.
/// </summary>
public abstract class AccessAtCommitTests(ServerFixture fixture)
{
    TestServer Server => fixture.Server;

    // A device and a peer share a vault through two groups; the file a.txt is live.
    async Task<(DeviceRegistered Device, string Group, SyncClient Peer, Guid Vault, long Version)> SharedFileAsync()
    {
        var device = await Server.RegisterAsync("in flight");
        var vault = await Server.CreateVaultAsync("v");
        var group = Wire.NewGroup("flight");
        await Server.AddDeviceToGroupAsync(group, device.DeviceId);
        await Server.AddVaultToGroupAsync(group, vault.VaultId);
        using var first = new SyncClient(Server.Client(device.Token), vault.VaultId, device.DeviceId);
        var version = await first.PutFileAsync("a.txt", "keep me"u8.ToArray());
        var peer = await first.PeerAsync(Server);
        return (device, group, peer, vault.VaultId, version);
    }

    // An ops body whose delete arrives only after the gate opens: '{"ops":[' first, then the op.
    static GatedContent DeleteBody(long version)
    {
        var op = JsonSerializer.Serialize(Ops.Delete("a.txt", version), TinySyncJson.Options);
        return new GatedContent("{\"ops\":["u8.ToArray(), Encoding.UTF8.GetBytes(op + "]}"), "application/json");
    }

    [Fact]
    public async Task A_delete_whose_body_is_still_arriving_when_the_device_is_revoked_is_refused_and_the_file_stays()
    {
        var (device, _, peer, vault, version) = await SharedFileAsync();
        using var _ = peer;
        var head = await Server.AuditHeadAsync();
        using var slow = GatedContent.Client(Server.BaseAddress, device.Token);
        var body = DeleteBody(version);
        var sending = body.SendAsync(slow, HttpMethod.Post, $"v1/vaults/{vault}/ops");
        await body.Reading; // past authentication and the vault check, waiting for the body

        using (var admin = Server.Admin()) (await admin.PostAsync($"v1/devices/{device.DeviceId}/revoke", null)).EnsureSuccessStatusCode();
        body.Open();

        var response = await sending;
        await response.ShouldBeProblemAsync(401, ProblemCodes.DeviceRevoked);
        response.Headers.WwwAuthenticate.ToString().ShouldStartWith("Bearer");
        (await peer.TreeAsync()).ShouldContain(i => i.Path == "a.txt" && i.Version == version, "the file is still there for the other device");
        (await peer.LogAsync()).Entries.ShouldNotContain(e => e.Kind == OpKind.Delete);
        Server.LogText.ShouldContain($"Refused POST /v1/vaults/{vault}/ops of device tsdev_{device.DeviceId}_***");
        var audit = await Server.AuditAfterAsync(head);
        var refused = audit.Where(a => a.Action == "write.refused").ShouldHaveSingleItem();
        refused.Target.ShouldBe($"device:{device.DeviceId}");
        refused.Detail!.Value.GetProperty("reason").GetString().ShouldBe("device_revoked");
        refused.Detail!.Value.GetProperty("vault").GetString().ShouldBe(vault.ToString());
    }

    [Fact]
    public async Task A_delete_whose_body_is_still_arriving_when_the_group_edge_is_removed_is_refused_with_404_and_the_file_stays()
    {
        var (device, group, peer, vault, version) = await SharedFileAsync();
        using var _ = peer;
        using var slow = GatedContent.Client(Server.BaseAddress, device.Token);
        var body = DeleteBody(version);
        var sending = body.SendAsync(slow, HttpMethod.Post, $"v1/vaults/{vault}/ops");
        await body.Reading;

        using (var admin = Server.Admin()) (await admin.DeleteAsync($"v1/groups/{group}/devices/{device.DeviceId}")).EnsureSuccessStatusCode();
        body.Open();

        await (await sending).ShouldBeProblemAsync(404, ProblemCodes.VaultNotFound);
        (await peer.TreeAsync()).ShouldContain(i => i.Path == "a.txt" && i.Version == version);
        (await peer.LogAsync()).Entries.ShouldNotContain(e => e.Kind == OpKind.Delete);
    }

    [Fact]
    public async Task A_chunk_upload_whose_body_is_still_arriving_when_the_device_is_revoked_is_not_registered_to_the_vault()
    {
        var (device, _, peer, vault, _) = await SharedFileAsync();
        using var _ = peer;
        var data = Encoding.UTF8.GetBytes("uploaded across a revocation " + Guid.NewGuid());
        var hash = ChunkHash.Compute(data);
        using var slow = GatedContent.Client(Server.BaseAddress, device.Token);
        var body = new GatedContent(data[..10], data[10..], "application/octet-stream");
        var sending = body.SendAsync(slow, HttpMethod.Put, $"v1/vaults/{vault}/chunks/{hash}");
        await body.Reading;

        using (var admin = Server.Admin()) (await admin.PostAsync($"v1/devices/{device.DeviceId}/revoke", null)).EnsureSuccessStatusCode();
        body.Open();

        await (await sending).ShouldBeProblemAsync(401, ProblemCodes.DeviceRevoked);
        (await peer.MissingAsync(hash)).ShouldBe([hash], "the vault does not hold the chunk");
    }

    [Fact]
    public async Task A_chunk_batch_whose_body_is_still_arriving_when_the_group_edge_is_removed_is_not_registered_to_the_vault()
    {
        var (device, group, peer, vault, _) = await SharedFileAsync();
        using var _ = peer;
        var data = Encoding.UTF8.GetBytes("batched across an edge removal " + Guid.NewGuid());
        var hash = ChunkHash.Compute(data);
        var frames = new byte[ChunkFrames.FrameLength(data.Length)];
        ChunkFrames.Write(frames, hash, data);
        using var slow = GatedContent.Client(Server.BaseAddress, device.Token);
        var body = new GatedContent(frames[..20], frames[20..], ChunkFrames.MediaType);
        var sending = body.SendAsync(slow, HttpMethod.Post, $"v1/vaults/{vault}/chunks/batch");
        await body.Reading;

        using (var admin = Server.Admin()) (await admin.DeleteAsync($"v1/groups/{group}/vaults/{vault}")).EnsureSuccessStatusCode();
        body.Open();

        await (await sending).ShouldBeProblemAsync(404, ProblemCodes.VaultNotFound);
        (await peer.MissingAsync(hash)).ShouldBe([hash]);
    }
}
