namespace TinySync.Reliability.Tests.Harness;

/// <summary>
/// For reading a replayed seed: with <c>TINYSYNC_TRACE=&lt;file&gt;</c> set, the steps and every engine message and
/// item event of every device (info included) are appended to that file in the order they happen.
/// </summary>
public static class TraceFile
{
    static readonly string? Path = Environment.GetEnvironmentVariable("TINYSYNC_TRACE") is { Length: > 0 } p ? p : null;
    static readonly Lock Gate = new();

    public static bool On => Path is not null;

    public static void Write(string line)
    {
        if (Path is null) return;
        lock (Gate) File.AppendAllText(Path, line + "\n");
    }
}
