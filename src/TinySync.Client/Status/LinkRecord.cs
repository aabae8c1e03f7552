using System.Text.Json;
using TinySync.Client.Engine;
using TinySync.Client.State;
using TinySync.Core.Json;

namespace TinySync.Client.Status;

/// <summary>The last completed sync of a link, as saved beside its index (what <c>status</c> shows without a daemon).</summary>
/// <param name="CompletedAt">When the cycle ended (UTC).</param>
/// <param name="Converged">Whether the folder and the server agreed at its end.</param>
/// <param name="Moved">What the cycle moved.</param>
/// <param name="Pending">What is left and why, one line each (skipped, refused, unsyncable, retry after an error).</param>
/// <param name="LastChange">The latest cycle that moved something (a daemon's idle cycles do not hide it).</param>
public sealed record LastSync(DateTimeOffset CompletedAt, bool Converged, SyncCounts Moved, IReadOnlyList<string> Pending, LastChange? LastChange = null);

/// <summary>When a cycle last moved something, and what.</summary>
public sealed record LastChange(DateTimeOffset At, SyncCounts Moved);

/// <summary>
/// Per-link state kept in the link's state directory besides the index: the pause marker (<c>paused</c>, decision
/// 0452) and the last completed sync (<c>last-sync.json</c>). Plain files, so the CLI reads them while a daemon holds
/// the index.
/// </summary>
public static class LinkRecord
{
    const string PausedFile = "paused";
    const string LastSyncFile = "last-sync.json";
    const int MaxPendingSaved = 100;

    /// <summary>Whether the link is paused.</summary>
    public static bool IsPaused(this StateDirectory state, Link link) => File.Exists(Path.Combine(state.LinkStateDirectory(link), PausedFile));

    /// <summary>Pauses a link (kept across restarts); false when it was already paused.</summary>
    public static bool Pause(this StateDirectory state, Link link)
    {
        if (state.IsPaused(link)) return false;
        var dir = state.LinkStateDirectory(link);
        state.EnsureWritable();
        Directory.CreateDirectory(dir);
        AtomicFile.WriteAllText(Path.Combine(dir, PausedFile), DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture) + "\n",
            UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return true;
    }

    /// <summary>Resumes a link; false when it was not paused.</summary>
    public static bool Resume(this StateDirectory state, Link link)
    {
        var path = Path.Combine(state.LinkStateDirectory(link), PausedFile);
        if (!File.Exists(path)) return false;
        File.Delete(path);
        return true;
    }

    /// <summary>
    /// Saves the outcome of a completed cycle. A display aid: a failure to write it (disk full) never fails the sync,
    /// the next cycle writes it again.
    /// </summary>
    public static void SaveLastSync(this StateDirectory state, Link link, LastSync record)
    {
        var dir = state.LinkStateDirectory(link);
        if (!Directory.Exists(dir)) return; // unlinked meanwhile
        var bounded = record.Pending.Count > MaxPendingSaved ? record with { Pending = [.. record.Pending.Take(MaxPendingSaved)] } : record;
        bounded = bounded with { LastChange = record.Moved != SyncCounts.None ? new LastChange(record.CompletedAt, record.Moved) : state.LoadLastSync(link)?.LastChange };
        try
        {
            AtomicFile.WriteAllText(Path.Combine(dir, LastSyncFile), JsonSerializer.Serialize(bounded, TinySyncJson.Options),
                UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // status shows the previous record until a cycle can write one
        }
    }

    /// <summary>
    /// Records a completed cycle: <c>last-sync.json</c>, and the index's <c>last_sync</c> time when it converged (the
    /// engine's index belongs to the caller's thread of control, as everywhere).
    /// </summary>
    public static void RecordCycle(this StateDirectory state, Link link, LinkSync engine, LastSync record)
    {
        if (record.Converged) engine.Index.SetMeta("last_sync", record.CompletedAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        state.SaveLastSync(link, record);
    }

    /// <summary>The last completed cycle, or null when none was recorded (or the record is unreadable).</summary>
    public static LastSync? LoadLastSync(this StateDirectory state, Link link)
    {
        var path = Path.Combine(state.LinkStateDirectory(link), LastSyncFile);
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<LastSync>(File.ReadAllText(path), TinySyncJson.Options) : null;
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            return null; // a display aid only: the next cycle writes it again
        }
    }
}
