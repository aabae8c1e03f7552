using TinySync.Client.Engine;
using TinySync.Core.Paths;

namespace TinySync.Client.Tests.Engine;

/// <summary>The comparer must answer exactly as comparing <see cref="VaultPath.Key"/>s does (decision 0412).</summary>
public sealed class PathKeyComparerTests
{
    static readonly string[] Samples =
    [
        "a", "A", "dir/File.txt", "DIR/file.TXT", "dir/file.txt ", "Straße", "STRASSE", "STRAßE", "ı", "I", "i", "İ",
        "ſ", "S", "s", "K", "\u212A", "k", "Ω", "ω", "\u2126", "𐐨", "𐐀", "é", "É", "e\u0301", "dir/ǅ", "dir/Ǆ", "dir/ǆ",
        "a/b", "a/B", "A/b", "ab", "", "-", "_", "Ⅻ", "ⅻ",
    ];

    public static TheoryData<string, string> Pairs()
    {
        var data = new TheoryData<string, string>();
        foreach (var x in Samples)
        {
            foreach (var y in Samples) data.Add(x, y);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public void Equality_is_key_equality_and_equal_keys_hash_alike(string x, string y)
    {
        var sameKey = string.Equals(VaultPath.Key(x), VaultPath.Key(y), StringComparison.Ordinal);
        PathKeyComparer.Instance.Equals(x, y).ShouldBe(sameKey);
        if (sameKey) PathKeyComparer.Instance.GetHashCode(x).ShouldBe(PathKeyComparer.Instance.GetHashCode(y));
    }

    [Fact]
    public void A_map_keyed_by_path_finds_the_live_path_of_another_case()
    {
        var map = new Dictionary<string, string>(PathKeyComparer.Instance) { ["Docs/Readme.md"] = "Docs/Readme.md" };
        map.TryGetValue("docs/README.MD", out var live).ShouldBeTrue();
        live.ShouldBe("Docs/Readme.md");
        map["DOCS/readme.md"] = "DOCS/readme.md"; // a re-cased item replaces the value under the same key
        map.Count.ShouldBe(1);
        map["docs/readme.md"].ShouldBe("DOCS/readme.md");
    }
}
