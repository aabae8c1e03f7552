using System.Text;
using TinySync.Server.Storage.Sql;

namespace TinySync.Server.Tests.Sync;

public sealed class ChunkListTests
{
    static readonly string A = new('a', 64), B = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    [Theory]
    [InlineData("[]")]
    [InlineData("[\"A\"]")]
    [InlineData("[\"A\",\"B\"]")]
    [InlineData("[\"A\", \"B\"]")]   // a space: valid JSON, not the stored form
    [InlineData("[\"A\",\"B\",]")]
    [InlineData("[\"A\"")]
    [InlineData("")]
    [InlineData("[\"Aa\"]")]
    [InlineData("[\"UPPER\"]")]
    [InlineData("[\"É\"]")]
    public void The_log_writers_agree_on_which_stored_chunk_lists_are_copied_as_is(string template)
    {
        var json = template.Replace("A", A, StringComparison.Ordinal).Replace("B", B, StringComparison.Ordinal)
            .Replace("UPPER", A.ToUpperInvariant(), StringComparison.Ordinal).Replace("É", "é" + A[1..], StringComparison.Ordinal);
        ChunkList.IsCanonical(Encoding.UTF8.GetBytes(json).AsSpan()).ShouldBe(ChunkList.IsCanonical(json), json);
    }

    [Fact]
    public void What_the_store_writes_is_canonical()
    {
        var json = ChunkList.Format([A, B, A]);
        ChunkList.IsCanonical(json).ShouldBeTrue();
        ChunkList.IsCanonical(Encoding.UTF8.GetBytes(json).AsSpan()).ShouldBeTrue();
    }
}
