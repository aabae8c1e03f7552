using TinySync.Core.Chunking;

namespace TinySync.Core.Tests.Chunking;

public class ChunkHashTests
{
    // SHA-256("abc"), FIPS 180-2 appendix B.1
    const string Abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    [Fact]
    public void Compute_gives_lowercase_hex_sha256()
    {
        ChunkHash.Compute("abc"u8).ShouldBe(Abc);
        ChunkHash.IsValid(ChunkHash.Compute([])).ShouldBeTrue();
    }

    [Fact]
    public void A_lowercase_64_character_hex_string_is_valid()
    {
        ChunkHash.IsValid(Abc).ShouldBeTrue();
        ChunkHash.IsValid(Abc.AsSpan()).ShouldBeTrue();
        ChunkHash.IsValid(new string('0', 64)).ShouldBeTrue();
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD")]
    [InlineData("Ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    [InlineData("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a")]
    [InlineData("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad0")]
    [InlineData("ga7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    [InlineData(" a7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    [InlineData("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a\n")]
    [InlineData("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f2")]
    [InlineData("../../../../../../../../../../../../../../../../../../../etc/pwd")]
    public void Anything_else_is_rejected(string? value)
    {
        ChunkHash.IsValid(value).ShouldBeFalse();
    }

    [Fact]
    public void Non_ascii_digits_are_rejected()
    {
        // U+0661 ARABIC-INDIC DIGIT ONE passes char.IsDigit but is not hex
        ChunkHash.IsValid(new string('\u0661', 64)).ShouldBeFalse();
    }

    [Fact]
    public void Matches_checks_uploaded_bytes_against_the_claimed_hash()
    {
        ChunkHash.Matches("abc"u8, Abc).ShouldBeTrue();
        ChunkHash.Matches("abd"u8, Abc).ShouldBeFalse();
        ChunkHash.Matches("abc"u8, Abc.ToUpperInvariant()).ShouldBeFalse();
        ChunkHash.Matches("abc"u8, "not a hash").ShouldBeFalse();
    }

    [Fact]
    public void ToHex_requires_a_32_byte_digest()
    {
        ChunkHash.ToHex(Convert.FromHexString(Abc)).ShouldBe(Abc);
        Should.Throw<ArgumentException>(() => ChunkHash.ToHex(new byte[31]));
    }
}
