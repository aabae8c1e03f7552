using TinySync.Client.Api;
using TinySync.Client.Engine;
using TinySync.Client.State;
using TinySync.Core.Contracts;
using TinySync.Reliability.Tests.Harness;

namespace TinySync.Reliability.Tests;

/// <summary>Focused regression for seeds 25 and 29: a stale log page must not move the cursor back.</summary>
public sealed class StaleLogPageTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task A_stale_log_page_never_brings_back_a_deleted_file()
    {
        var server = fixture.Host.Server;
        using var dir = new TempDir("tinysync-rel-stale");
        var vault = (await server.CreateVaultAsync("stale")).VaultId;
        var a = await DeviceAsync(server, vault, dir, "A");
        var b = await DeviceAsync(server, vault, dir, "B");

        (await SyncAsync(b)).Converged.ShouldBeTrue(); // bootstrapped: from now on B reads the log
        File.WriteAllText(Path.Combine(a.Link.Directory, "x.txt"), "x");
        (await SyncAsync(a)).Converged.ShouldBeTrue();
        var recorder = new StaleLog(Api(b));
        (await SyncAsync(b, recorder)).Converged.ShouldBeTrue(); // B sees x; its first log page is recorded
        recorder.Pages.ShouldNotBeEmpty();
        File.Delete(Path.Combine(a.Link.Directory, "x.txt"));
        (await SyncAsync(a)).Converged.ShouldBeTrue();
        (await SyncAsync(b)).Converged.ShouldBeTrue();
        File.Exists(Path.Combine(b.Link.Directory, "x.txt")).ShouldBeFalse();
        File.WriteAllText(Path.Combine(a.Link.Directory, "y.txt"), "y");
        (await SyncAsync(a)).Converged.ShouldBeTrue();

        recorder.ServeStale = true; // every log read now answers with the page B got when x still existed
        await SyncAsync(b, recorder);
        File.Exists(Path.Combine(b.Link.Directory, "x.txt")).ShouldBeFalse("the stale page replayed the put of x over its delete");
        recorder.ServeStale = false;
        (await SyncAsync(b, recorder)).Converged.ShouldBeTrue();
        File.Exists(Path.Combine(b.Link.Directory, "x.txt")).ShouldBeFalse();
        File.ReadAllText(Path.Combine(b.Link.Directory, "y.txt")).ShouldBe("y");
    }

    [Fact]
    public async Task A_conflict_while_the_log_view_is_behind_never_loses_the_file_moved_meanwhile()
    {
        // reliability seed 100537: B's put of notes.md conflicted (C had moved it to c.bin), B dropped notes.md from its
        // remote tree, and the replayed move then had nothing to move: B never got c.bin, yet reported "converged"
        var server = fixture.Host.Server;
        using var dir = new TempDir("tinysync-rel-behind");
        var vault = (await server.CreateVaultAsync("behind")).VaultId;
        var b = await DeviceAsync(server, vault, dir, "B");
        var c = await DeviceAsync(server, vault, dir, "C");
        (await SyncAsync(b)).Converged.ShouldBeTrue();
        var recorder = new StaleLog(Api(b));
        File.WriteAllText(Path.Combine(c.Link.Directory, "notes.md"), "v1");
        (await SyncAsync(c)).Converged.ShouldBeTrue();
        (await SyncAsync(b, recorder)).Converged.ShouldBeTrue();
        File.Move(Path.Combine(c.Link.Directory, "notes.md"), Path.Combine(c.Link.Directory, "c.bin"));
        (await SyncAsync(c)).Converged.ShouldBeTrue();

        File.AppendAllText(Path.Combine(b.Link.Directory, "notes.md"), " and B's edit");
        recorder.StaleOnce = true; // B's first pull sees nothing new: it commits against the old view and conflicts
        await SyncAsync(b, recorder);
        (await SyncAsync(b, recorder)).Converged.ShouldBeTrue();
        File.ReadAllText(Path.Combine(b.Link.Directory, "c.bin")).ShouldBe("v1");
        File.ReadAllText(Path.Combine(b.Link.Directory, "notes.md")).ShouldBe("v1 and B's edit");
    }

    internal static async Task<(ClientIdentity Identity, Link Link, StateDirectory State)> DeviceAsync(TestServer server, Guid vault, TempDir dir, string name)
    {
        var reg = await server.RegisterAsync(name);
        await server.GrantAsync(reg.DeviceId, vault);
        var state = new StateDirectory(dir.Sub(name + "-home"));
        var identity = new ClientIdentity { Server = server.Url, DeviceId = reg.DeviceId, Token = reg.Token, DisplayName = name };
        state.SaveIdentity(identity);
        Directory.CreateDirectory(dir.Sub(name));
        return (identity, state.AddLink(vault, null, "default", dir.Sub(name)), state);
    }

    static DeviceApiClient Api((ClientIdentity Identity, Link Link, StateDirectory State) d) => new(d.Identity.Server, d.Identity.Token);

    internal static async Task<LinkResult> SyncAsync((ClientIdentity Identity, Link Link, StateDirectory State) d, IDeviceApi? api = null)
    {
        using var own = api is null ? Api(d) : null;
        using var engine = new LinkSync(d.Link, d.State.LinkStateDirectory(d.Link), api ?? own!, d.Identity.DisplayName);
        return await engine.SyncAsync();
    }

    /// <summary>Records log pages, and on demand answers every log read with the first one recorded.</summary>
    sealed class StaleLog(IDeviceApi inner) : IDeviceApi
    {
        public List<LogPage> Pages { get; } = [];
        public bool ServeStale { get; set; }
        public bool StaleOnce { get; set; }
        public Guid DeviceId => inner.DeviceId;

        public async Task<LogPage> GetLogAsync(Guid vault, long after, int limit, CancellationToken ct)
        {
            if (ServeStale) return Pages[0];
            if (StaleOnce)
            {
                StaleOnce = false;
                return Pages[^1];
            }
            var page = await inner.GetLogAsync(vault, after, limit, ct);
            if (page.Entries.Count > 0) Pages.Add(page);
            return page;
        }

        public Task<MeView> GetMeAsync(CancellationToken ct) => inner.GetMeAsync(ct);
        public Task RevokeSelfAsync(CancellationToken ct) => inner.RevokeSelfAsync(ct);
        public Task<TreePage> GetTreeAsync(Guid vault, string container, string? cursor, CancellationToken ct) => inner.GetTreeAsync(vault, container, cursor, ct);
        public Task<IReadOnlyList<string>> MissingChunksAsync(Guid vault, IReadOnlyList<string> hashes, CancellationToken ct) => inner.MissingChunksAsync(vault, hashes, ct);
        public Task PutChunkAsync(Guid vault, string hash, ReadOnlyMemory<byte> bytes, CancellationToken ct) => inner.PutChunkAsync(vault, hash, bytes, ct);
        public Task<byte[]> GetChunkAsync(Guid vault, string hash, CancellationToken ct) => inner.GetChunkAsync(vault, hash, ct);
        public Task<bool> PutChunksAsync(Guid vault, IReadOnlyList<(string Hash, ReadOnlyMemory<byte> Bytes)> chunks, CancellationToken ct) => inner.PutChunksAsync(vault, chunks, ct);
        public Task<RentedChunks> GetChunkRentedAsync(Guid vault, string hash, CancellationToken ct) => inner.GetChunkRentedAsync(vault, hash, ct);
        public Task<RentedChunks?> FetchChunksAsync(Guid vault, IReadOnlyList<string> hashes, CancellationToken ct) => inner.FetchChunksAsync(vault, hashes, ct);
        public Task<OpsResponse> CommitAsync(Guid vault, IReadOnlyList<Op> ops, CancellationToken ct) => inner.CommitAsync(vault, ops, ct);
        public Task<HistoryPage> GetHistoryAsync(Guid vault, string container, string path, CancellationToken ct) => inner.GetHistoryAsync(vault, container, path, ct);
        public Task<DeletedPage> GetDeletedAsync(Guid vault, string container, string? under, string? cursor, CancellationToken ct) => inner.GetDeletedAsync(vault, container, under, cursor, ct);
    }
}
