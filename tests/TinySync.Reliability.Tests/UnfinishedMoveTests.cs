using TinySync.Client.Api;
using TinySync.Client.Engine;
using TinySync.Client.State;
using TinySync.Reliability.Tests.Harness;

namespace TinySync.Reliability.Tests;

/// <summary>Focused regression for seed 782168: moves planned but not committed (decision 0730).</summary>
public sealed class UnfinishedMoveTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task A_folder_case_flip_whose_sync_died_before_the_commit_still_goes_up_as_a_move()
    {
        using var dir = new TempDir("tinysync-rel-flip");
        var (a, b) = await TwoDevicesAsync(dir, "flip");
        Directory.CreateDirectory(Path.Combine(b.Link.Directory, "docs"));
        (await StaleLogPageTests.SyncAsync(b)).Converged.ShouldBeTrue();

        Directory.Move(Path.Combine(b.Link.Directory, "docs"), Path.Combine(b.Link.Directory, "Docs"));
        File.WriteAllText(Path.Combine(b.Link.Directory, "Docs", "a.txt"), "new in the renamed folder");
        using (var dying = new DeviceApiClient(b.Identity.Server, b.Identity.Token, handler: new DiesAtCommit(new HttpClientHandler())))
        {
            await Should.ThrowAsync<SimulatedCrash>(() => StaleLogPageTests.SyncAsync(b, dying)); // planned the move, died before sending it
        }

        (await StaleLogPageTests.SyncAsync(b)).Converged.ShouldBeTrue();
        (await StaleLogPageTests.SyncAsync(a)).Converged.ShouldBeTrue();
        Directory.GetDirectories(a.Link.Directory).Select(Path.GetFileName).ShouldBe(["Docs"]);
        File.ReadAllText(Path.Combine(a.Link.Directory, "Docs", "a.txt")).ShouldBe("new in the renamed folder");
    }

    [Fact]
    public async Task A_rename_the_server_refuses_ends_as_a_conflict_copy_and_never_as_a_loop()
    {
        using var dir = new TempDir("tinysync-rel-refused");
        var (a, b) = await TwoDevicesAsync(dir, "refused");
        File.WriteAllText(Path.Combine(b.Link.Directory, "a.txt"), "one");
        File.WriteAllText(Path.Combine(b.Link.Directory, "b.txt"), "two");
        (await StaleLogPageTests.SyncAsync(b)).Converged.ShouldBeTrue();

        // beside the live b.txt, the server answers the move a.txt -> B.txt with a conflict (names unique by key)
        File.Move(Path.Combine(b.Link.Directory, "a.txt"), Path.Combine(b.Link.Directory, "B.txt"));
        (await StaleLogPageTests.SyncAsync(b)).Converged.ShouldBeTrue();
        (await StaleLogPageTests.SyncAsync(a)).Converged.ShouldBeTrue();
        var files = Directory.GetFiles(a.Link.Directory).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        files.ShouldNotContain("a.txt");
        File.ReadAllText(Path.Combine(a.Link.Directory, "b.txt")).ShouldBe("two");
        files.Where(f => f != "b.txt").Select(f => File.ReadAllText(Path.Combine(a.Link.Directory, f!))).ShouldBe(["one"]);
    }

    async Task<((ClientIdentity Identity, Link Link, StateDirectory State) A, (ClientIdentity Identity, Link Link, StateDirectory State) B)> TwoDevicesAsync(TempDir dir, string vaultName)
    {
        var vault = (await fixture.Host.Server.CreateVaultAsync(vaultName)).VaultId;
        return (await StaleLogPageTests.DeviceAsync(fixture.Host.Server, vault, dir, "A"), await StaleLogPageTests.DeviceAsync(fixture.Host.Server, vault, dir, "B"));
    }

    /// <summary>The client process dies as it is about to send its ops.</summary>
    sealed class DiesAtCommit(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct) =>
            request.Method == HttpMethod.Post && request.RequestUri!.AbsolutePath.EndsWith("/ops", StringComparison.Ordinal)
                ? throw new SimulatedCrash("crash_before_request POST ops")
                : base.SendAsync(request, ct);
    }
}
