using TinySync.Client.Index;
using TinySync.Client.Scanning;
using TinySync.Core.Contracts;

namespace TinySync.Client.Engine.Downloads;

/// <summary>
/// A downloaded file is renamed into place first and recorded in the index after (the rename must be durable before
/// the index says so). A crash between the two left a file the index knows nothing of: the next scan took the server's
/// own version for a new local file, and a later remote edit of it for a concurrent change (a spurious conflict copy,
/// seed 700193). So the intent is written to the index before the rename (<see cref="LinkIndex.RecordPlacing"/>) and
/// removed with the record; the next scan settles what is left (decision 0721).
/// </summary>
internal static class PlacedDownloads
{
    /// <summary>
    /// For each intent left by an interrupted placement: when the file at its path now holds exactly that version's
    /// content (chunk hashes from the scan, size and executable bit; never size and mtime alone), the version becomes
    /// the synced base, as the lost record would have made it. Every intent is then forgotten, except those on paths the
    /// scan could not read this time. Returns how many were adopted.
    /// </summary>
    public static int Settle(IReadOnlyDictionary<string, ItemState> intents, ScanResult scan, LinkIndex.Batch batch)
    {
        var adopted = 0;
        foreach (var (path, version) in intents)
        {
            if (scan.IsUnknown(path)) continue; // settled once the file can be read
            if (version.Kind == ItemKind.File && scan.Local.TryGetValue(path, out var local) && local.SameContent(version))
            {
                batch.PutBase(version);
                adopted++;
            }
            batch.DeletePlacing(path);
        }
        return adopted;
    }
}
