namespace TinySync.Client.Engine;

/// <summary>What a round leaves to do, one line each (skipped files, failed transfers); thread-safe.</summary>
internal sealed class PendingList
{
    readonly List<string> _lines = [];

    /// <summary>Adds one line.</summary>
    public void Add(string line)
    {
        lock (_lines) _lines.Add(line);
    }

    /// <summary>Forgets the previous round's lines.</summary>
    public void Clear()
    {
        lock (_lines) _lines.Clear();
    }

    /// <summary>Lines so far.</summary>
    public int Count
    {
        get { lock (_lines) return _lines.Count; }
    }

    /// <summary>A copy of the lines.</summary>
    public IReadOnlyList<string> ToList()
    {
        lock (_lines) return [.. _lines];
    }
}
