using TinySync.Core.Contracts;

namespace TinySync.Core.Tests.Sync;

public class OpIdsTests
{
    [Fact]
    public void Op_ids_are_unique_version_7_uuids_whose_text_sorts_in_the_order_they_were_made()
    {
        // The server keys idempotency by (vault, device, op id) as lowercase text (SQLite) or uuid (PostgreSQL): ids
        // made later must sort later in both, so a device's ops append to the index instead of landing on random pages.
        var ids = new List<Guid>();
        for (var i = 0; i < 2_000; i++)
        {
            ids.Add(OpIds.New());
            if (i % 500 == 0) Thread.Sleep(2); // cross a millisecond boundary several times
        }
        ids.ShouldAllBe(id => id.Version == 7);
        ids.Distinct().Count().ShouldBe(ids.Count);
        var first = ids[0].ToString("D");
        var last = ids[^1].ToString("D");
        string.CompareOrdinal(first, last).ShouldBeLessThan(0, "the timestamp leads the text");
        // milliseconds never go backwards across the list (ids within one millisecond are random among themselves)
        var millis = ids.Select(id => id.ToString("N")[..12]).ToList();
        millis.ShouldBe(millis.OrderBy(m => m, StringComparer.Ordinal).ToList());
    }
}
