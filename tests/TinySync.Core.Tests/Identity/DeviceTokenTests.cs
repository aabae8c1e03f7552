using System.Security.Cryptography;
using System.Text;
using TinySync.Core.Identity;

namespace TinySync.Core.Tests.Identity;

public class DeviceTokenTests
{
    // Vector computed independently of DeviceToken: the secret is 32 bytes 0x00..0x1f, hashed with
    //   printf 'tinysync-device-token:' > v; python3 -c "import sys;sys.stdout.buffer.write(bytes(range(32)))" >> v; sha256sum v
    const string KnownSecretBase64Url = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
    const string KnownHashHex = "30a3e8cd80e3188324ac730934fffd8eede0d760da4493d9dfe20bb665ef8066";

    static readonly Guid SomeId = Guid.Parse("0b1e7c1a-5d2f-4c4e-9a8b-3f6d2e1c0a99");

    [Fact]
    public void Hash_matches_an_independently_computed_vector()
    {
        var token = DeviceToken.Parse($"tsdev_{SomeId:D}_{KnownSecretBase64Url}");
        Convert.ToHexStringLower(token.ComputeHash()).ShouldBe(KnownHashHex);
    }

    [Fact]
    public void Hash_is_sha256_of_domain_separator_and_secret_bytes()
    {
        var secret = Enumerable.Range(0, 32).Select(i => (byte)(i * 7)).ToArray();
        var expected = SHA256.HashData([.. Encoding.ASCII.GetBytes("tinysync-device-token:"), .. secret]);
        DeviceToken.HashSecret(secret).ShouldBe(expected);
    }

    [Fact]
    public void Generated_token_round_trips_and_matches_its_own_hash()
    {
        var token = DeviceToken.Generate(SomeId);
        var text = token.Reveal();
        text.Length.ShouldBe(DeviceToken.TokenChars);
        text.ShouldStartWith($"tsdev_{SomeId:D}_");
        var parsed = DeviceToken.Parse(text);
        parsed.DeviceId.ShouldBe(SomeId);
        parsed.Matches(token.ComputeHash()).ShouldBeTrue();
        DeviceToken.Generate(SomeId).Matches(token.ComputeHash()).ShouldBeFalse();
    }

    [Fact]
    public void Secret_may_contain_underscores_and_hyphens()
    {
        // 0xff bytes encode to '_' in base64url; 0xfb to '-' runs
        var token = DeviceToken.Parse($"tsdev_{SomeId:D}_" + Base64Url.Encode(Enumerable.Repeat((byte)0xff, 32).ToArray()));
        token.DeviceId.ShouldBe(SomeId);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("Bearer x", "starts with")]
    [InlineData("tsdevx0b1e7c1a-5d2f-4c4e-9a8b-3f6d2e1c0a99_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", "starts with")]
    [InlineData("tsdev_0b1e7c1a-5d2f-4c4e-9a8b-3f6d2e1c0a99_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh", "truncated")]
    [InlineData("tsdev_0b1e7c1a-5d2f-4c4e-9a8b-3f6d2e1c0a99_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8A", "too long")]
    [InlineData("tsdev_0B1E7C1A-5D2F-4C4E-9A8B-3F6D2E1C0A99_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", "lowercase")]
    [InlineData("tsdev_0b1e7c1a5d2f4c4e9a8b3f6d2e1c0a99xxxx_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", "lowercase")]
    [InlineData("tsdev_0b1e7c1a-5d2f-4c4e-9a8b-3f6d2e1c0a99-AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", "lowercase")]
    [InlineData("tsdev_0b1e7c1a-5d2f-4c4e-9a8b-3f6d2e1c0a99_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+", "base64url")]
    [InlineData("tsdev_0b1e7c1a-5d2f-4c4e-9a8b-3f6d2e1c0a99_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh=", "base64url")]
    [InlineData("tsdev_0b1e7c1a-5d2f-4c4e-9a8b-3f6d2e1c0a99_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9", "base64url")]
    public void Malformed_tokens_are_rejected_with_a_reason(string value, string reason)
    {
        DeviceToken.TryParse(value, out var token, out var error).ShouldBeFalse();
        token.ShouldBeNull();
        error.ShouldNotBeNull().ShouldContain(reason);
        // the server's allocation-free path refuses the same spellings with the same reason
        DeviceToken.TryParseToHash(value, out _, new byte[32], out var spanError).ShouldBeFalse();
        spanError.ShouldBe(error);
    }

    [Fact]
    public void The_server_path_parses_to_the_stored_hash_and_compares_it()
    {
        for (var i = 0; i < 200; i++) // random secrets exercise every last character, so every canonical ending
        {
            var token = DeviceToken.Generate(Guid.CreateVersion7());
            var hash = new byte[32];
            DeviceToken.TryParseToHash(token.Reveal(), out var id, hash, out var error).ShouldBeTrue(error);
            id.ShouldBe(token.DeviceId);
            hash.ShouldBe(token.ComputeHash());
            DeviceToken.HashMatches(hash, token.ComputeHash()).ShouldBeTrue();
            var other = token.ComputeHash();
            other[31] ^= 1;
            DeviceToken.HashMatches(hash, other).ShouldBeFalse();
            DeviceToken.HashMatches(hash, other.AsSpan(0, 31)).ShouldBeFalse();
        }
    }

    [Fact]
    public void ToString_never_reveals_the_secret()
    {
        var token = DeviceToken.Generate(SomeId);
        token.ToString().ShouldBe($"tsdev_{SomeId:D}_***");
        DeviceToken.RedactAll($"auth: Bearer {token.Reveal()} done").ShouldBe($"auth: Bearer tsdev_{SomeId:D}_*** done");
    }
}
