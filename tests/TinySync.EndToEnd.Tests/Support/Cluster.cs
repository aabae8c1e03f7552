using TinySync.Core.Contracts;

namespace TinySync.EndToEnd.Tests.Support;

/// <summary>A server, one vault, and N devices linked to it.</summary>
public sealed class Cluster : IAsyncDisposable
{
    public TestServer Server { get; private set; } = null!;
    public VaultView Vault { get; private set; } = null!;
    public List<Device> Devices { get; } = [];

    public Device A => Devices[0];
    public Device B => Devices[1];
    public Device C => Devices[2];

    public static async Task<Cluster> StartAsync(int devices = 2)
    {
        var c = new Cluster { Server = await TestServer.StartAsync() };
        c.Vault = await c.Server.CreateVaultAsync("e2e");
        for (var i = 0; i < devices; i++) c.Devices.Add(await Device.CreateAsync(c.Server, c.Vault.VaultId, "dev" + (char)('A' + i)));
        return c;
    }

    /// <summary>Syncs every device, twice around, so every change reaches everyone.</summary>
    public async Task SyncAllAsync()
    {
        for (var round = 0; round < 2; round++)
        {
            foreach (var d in Devices) await d.SyncConvergedAsync();
        }
    }

    public void ShouldAllMatch()
    {
        var first = Devices[0].Snapshot();
        foreach (var d in Devices.Skip(1))
        {
            var snap = d.Snapshot();
            snap.ShouldBe(first, $"{d.Name} differs from {Devices[0].Name}: only on {d.Name}: [{string.Join(", ", snap.Keys.Except(first.Keys))}], only on {Devices[0].Name}: [{string.Join(", ", first.Keys.Except(snap.Keys))}]");
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var d in Devices) d.Dispose();
        await Server.DisposeAsync();
    }
}
