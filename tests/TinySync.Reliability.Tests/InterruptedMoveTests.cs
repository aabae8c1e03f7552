using TinySync.Client.Api;
using TinySync.Client.Engine;
using TinySync.Client.State;
using TinySync.Reliability.Tests.Harness;

namespace TinySync.Reliability.Tests;

/// <summary>Focused regression for seed 782168: a move planned by a sync that died before committing it (decision 0730).</summary>
public sealed class InterruptedMoveTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task A_folder_case_flip_whose_sync_died_before_the_commit_still_goes_up_as_a_move()
    {
        var server = fixture.Host.Server;
        using var dir = new TempDir("tinysync-rel-flip");
        var vault = (await server.CreateVaultAsync("flip")).VaultId;
        var a = await StaleLogPageTests.DeviceAsync(server, vault, dir, "A");
        var b = await StaleLogPageTests.DeviceAsync(server, vault, dir, "B");
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

    /// <summary>The client process dies as it is about to send its ops.</summary>
    sealed class DiesAtCommit(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct) =>
            request.Method == HttpMethod.Post && request.RequestUri!.AbsolutePath.EndsWith("/ops", StringComparison.Ordinal)
                ? throw new SimulatedCrash("crash_before_request POST ops")
                : base.SendAsync(request, ct);
    }
}
