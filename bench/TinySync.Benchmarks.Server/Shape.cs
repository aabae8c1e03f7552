using System.Security.Cryptography;
using System.Text;
using TinySync.Core.Identity;

namespace TinySync.Benchmarks.Server;

/// <summary>
/// The seeded data set, generated deterministically from one seed so the benchmark can rebuild the edge lists in
/// memory (to pick reachable and unreachable pairs) without reading them back from the database.
///
/// 100,000 devices, 10,000 groups, 100,000 vaults. Every device is in 5 distinct random groups and every vault
/// in 5 distinct random groups: 500,000 + 500,000 = 1,000,000 edges, about 50 devices and 50 vaults per group,
/// so a device reaches about 250 vaults. One extra "small" device (in 2 groups of its own that reach 3 vaults)
/// is what <c>GET /v1/me</c> is measured with: a typical device, not one that reaches 250 vaults.
/// </summary>
internal sealed class Shape
{
    public const int Devices = 100_000;
    public const int Groups = 10_000;
    public const int Vaults = 100_000;
    public const int GroupsPerDevice = 5;
    public const int GroupsPerVault = 5;
    public const int Seed = 20261122;
    public const string SmallGroupA = "small-a";
    public const string SmallGroupB = "small-b";

    public Guid[] DeviceIds { get; } = new Guid[Devices];
    public Guid[] VaultIds { get; } = new Guid[Vaults];
    public string[] GroupIds { get; } = new string[Groups];
    public int[][] DeviceGroups { get; } = new int[Devices][];
    public int[][] VaultGroups { get; } = new int[Vaults][];

    /// <summary>Vault indexes per group (the inverse of <see cref="VaultGroups"/>).</summary>
    public List<int>[] GroupVaults { get; } = new List<int>[Groups];

    public static readonly Guid SmallDevice = new("00000000-0000-7000-8000-00000000beef");
    public static readonly Guid[] SmallVaults =
    [
        new("00000000-0000-7000-8000-00000000a001"), new("00000000-0000-7000-8000-00000000a002"), new("00000000-0000-7000-8000-00000000a003"),
    ];

    public Shape()
    {
        var rng = new Random(Seed);
        var buffer = new byte[16];
        Guid NextId()
        {
            rng.NextBytes(buffer);
            buffer[7] = (byte)((buffer[7] & 0x0F) | 0x40); // version 4 (little-endian field layout of Guid(byte[]))
            buffer[8] = (byte)((buffer[8] & 0x3F) | 0x80); // RFC 4122 variant
            return new Guid(buffer);
        }
        for (var g = 0; g < Groups; g++)
        {
            GroupIds[g] = $"g{g:D5}";
            GroupVaults[g] = [];
        }
        for (var d = 0; d < Devices; d++)
        {
            DeviceIds[d] = NextId();
            DeviceGroups[d] = Distinct(rng, GroupsPerDevice);
        }
        for (var v = 0; v < Vaults; v++)
        {
            VaultIds[v] = NextId();
            VaultGroups[v] = Distinct(rng, GroupsPerVault);
            foreach (var g in VaultGroups[v]) GroupVaults[g].Add(v);
        }
    }

    static int[] Distinct(Random rng, int n)
    {
        var set = new HashSet<int>();
        while (set.Count < n) set.Add(rng.Next(Groups));
        return [.. set];
    }

    /// <summary>The secret of device <paramref name="index"/> (-1 = the small device): derived, so tokens need no storage.</summary>
    public static byte[] Secret(int index) => SHA256.HashData(Encoding.ASCII.GetBytes($"tinysync-bench-secret:{index}"));

    public static string Token(Guid deviceId, int index) =>
        DeviceToken.Prefix + deviceId.ToString("D") + "_" + Base64Url.Encode(Secret(index));
}
