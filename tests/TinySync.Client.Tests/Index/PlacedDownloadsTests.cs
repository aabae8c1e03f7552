using TinySync.Client.Engine;
using TinySync.Client.Engine.Downloads;
using TinySync.Client.Index;
using TinySync.Client.Scanning;
using TinySync.Core.Contracts;

namespace TinySync.Client.Tests.Index;

/// <summary>Decision 0721: a download's placement is recorded before its rename and settled by the next scan.</summary>
public sealed class PlacedDownloadsTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("tinysync-placing-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static readonly ItemState Old = new() { Path = "b.txt", Kind = ItemKind.File, Version = 3, Size = 4, Chunks = ["h-old"] };
    static readonly ItemState Placed = new() { Path = "b.txt", Kind = ItemKind.File, Version = 7, Size = 5, Chunks = ["h-new"] };

    static ScanResult ScanWith(string path, string hash, long size, bool executable = false)
    {
        var scan = new ScanResult();
        scan.Local[path] = new LocalState { Path = path, Kind = ItemKind.File, Size = size, Executable = executable, Chunks = [new ChunkRef(hash, (int)size)] };
        return scan;
    }

    static void ShouldBeVersion(ItemState actual, ItemState expected)
    {
        actual.SameContent(expected).ShouldBeTrue();
        (actual.Path, actual.Version).ShouldBe((expected.Path, expected.Version));
    }

    int Settle(LinkIndex index, ScanResult scan)
    {
        var placing = index.LoadPlacing();
        using var batch = index.Begin();
        var adopted = PlacedDownloads.Settle(placing, scan, batch);
        batch.Commit();
        return adopted;
    }

    [Fact]
    public void A_placing_record_survives_a_crash_and_goes_with_the_transaction_that_records_the_placed_file()
    {
        using (var index = LinkIndex.Open(_dir)) index.RecordPlacing([Placed]); // the process dies here, before the rename's record
        using var again = LinkIndex.Open(_dir);
        ShouldBeVersion(again.LoadPlacing()["b.txt"], Placed);
        using (var batch = again.Begin())
        {
            batch.PutBase(Placed);
            batch.DeletePlacing("b.txt");
            batch.Commit();
        }
        again.LoadPlacing().ShouldBeEmpty();
    }

    [Fact]
    public void A_file_holding_exactly_the_placed_versions_content_is_adopted_as_that_version_and_the_record_is_cleared()
    {
        using var index = LinkIndex.Open(_dir);
        using (var b = index.Begin())
        {
            b.PutBase(Old);
            b.Commit();
        }
        index.RecordPlacing([Placed]);

        Settle(index, ScanWith("b.txt", "h-new", 5)).ShouldBe(1);

        ShouldBeVersion(index.LoadBase()["b.txt"], Placed);
        index.LoadPlacing().ShouldBeEmpty();
    }

    [Theory]
    [InlineData("h-edit", 5, false)] // other bytes: the user's edit, not the download
    [InlineData("h-new", 5, true)]   // the same bytes with the executable bit flipped: a local change
    public void A_file_that_differs_from_the_placed_version_keeps_its_base_and_the_record_is_forgotten(string hash, long size, bool executable)
    {
        using var index = LinkIndex.Open(_dir);
        using (var b = index.Begin())
        {
            b.PutBase(Old);
            b.Commit();
        }
        index.RecordPlacing([Placed]);

        Settle(index, ScanWith("b.txt", hash, size, executable)).ShouldBe(0);

        ShouldBeVersion(index.LoadBase()["b.txt"], Old);
        index.LoadPlacing().ShouldBeEmpty();
    }

    [Fact]
    public void A_placement_whose_file_is_missing_is_forgotten_without_a_base()
    {
        using var index = LinkIndex.Open(_dir);
        index.RecordPlacing([Placed]); // the rename never happened

        Settle(index, new ScanResult()).ShouldBe(0);

        index.LoadBase().ShouldBeEmpty();
        index.LoadPlacing().ShouldBeEmpty();
    }

    [Fact]
    public void A_placement_on_a_path_the_scan_could_not_read_is_kept_for_a_later_scan()
    {
        using var index = LinkIndex.Open(_dir);
        index.RecordPlacing([Placed with { Path = "d/b.txt" }]);
        var scan = new ScanResult();
        scan.Unknown.Add("d");

        Settle(index, scan).ShouldBe(0);
        index.LoadPlacing().Keys.ShouldBe(["d/b.txt"]);

        Settle(index, ScanWith("d/b.txt", "h-new", 5)).ShouldBe(1);
        index.LoadBase()["d/b.txt"].Version.ShouldBe(7);
        index.LoadPlacing().ShouldBeEmpty();
    }
}
