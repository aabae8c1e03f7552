using System.Security.Cryptography;
using System.Text;
using TinySync.Server.Tests.Support;

namespace TinySync.Server.Tests.Identity;

/// <summary>
/// The server side of the hashing rule of docs/protocol.md#identity-and-tokens: what lands in the devices table is
/// SHA-256("tinysync-device-token:" || secret bytes), computed here without TinySync's own code.
/// </summary>
public sealed class TokenHashingTests_Sqlite(SharedServer fixture) : TokenHashingTests(fixture), IClassFixture<SharedServer>;

public sealed class TokenHashingTests_Postgres(PostgresSharedServer fixture) : TokenHashingTests(fixture), IClassFixture<PostgresSharedServer>;

public abstract class TokenHashingTests(SharedServer fixture)
{
    readonly TestServer _server = fixture.Server;

    static byte[] DecodeBase64Url(string s)
    {
        var b64 = s.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(b64 + new string('=', (4 - b64.Length % 4) % 4));
    }

    [Fact]
    public async Task The_devices_table_holds_the_domain_separated_SHA256_of_the_secret_bytes_and_nothing_else()
    {
        var device = await _server.RegisterAsync("hash check");
        var token = device.Token;
        token.ShouldStartWith($"tsdev_{device.DeviceId:D}_");
        var secretText = token[("tsdev_".Length + 36 + 1)..];
        secretText.Length.ShouldBe(43);
        var secret = DecodeBase64Url(secretText);
        secret.Length.ShouldBe(32);

        var expected = SHA256.HashData([.. Encoding.ASCII.GetBytes("tinysync-device-token:"), .. secret]);
        var stored = (byte[])Db.Scalar(_server, "SELECT credential_hash FROM devices WHERE device_id = @d", ("@d", device.DeviceId.ToString("D")))!;

        Convert.ToHexString(stored).ShouldBe(Convert.ToHexString(expected));
        // not the plain hash, not the hash of the text form, not the hash of the whole token
        stored.ShouldNotBe(SHA256.HashData(secret));
        stored.ShouldNotBe(SHA256.HashData(Encoding.ASCII.GetBytes("tinysync-device-token:" + secretText)));
        stored.ShouldNotBe(SHA256.HashData(Encoding.ASCII.GetBytes(token)));
    }

    [Fact]
    public async Task Two_registrations_get_different_secrets_and_different_hashes()
    {
        var a = await _server.RegisterAsync("a");
        var b = await _server.RegisterAsync("b");
        a.DeviceId.ShouldNotBe(b.DeviceId);
        a.Token[43..].ShouldNotBe(b.Token[43..]);
        var ha = (byte[])Db.Scalar(_server, "SELECT credential_hash FROM devices WHERE device_id = @d", ("@d", a.DeviceId.ToString("D")))!;
        var hb = (byte[])Db.Scalar(_server, "SELECT credential_hash FROM devices WHERE device_id = @d", ("@d", b.DeviceId.ToString("D")))!;
        ha.ShouldNotBe(hb);
    }
}
