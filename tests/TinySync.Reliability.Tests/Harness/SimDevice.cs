using TinySync.Client.Engine;
using TinySync.Client.State;

namespace TinySync.Reliability.Tests.Harness;

/// <summary>One simulated device: its own state directory (identity, link, index) and folder, nothing else.</summary>
public sealed class SimDevice : IDisposable
{
    readonly Queue<string> _messages = new();

    public SimDevice(int index, string name, string root)
    {
        Index = index;
        Name = name;
        Home = Path.Combine(root, name, "home");
        Folder = Path.Combine(root, name, "folder");
        Directory.CreateDirectory(Folder);
        Links = new DeviceLinks(Folder, Path.Combine(root, name, "outside"));
    }

    public int Index { get; }
    public string Name { get; }
    public string Home { get; }
    public string Folder { get; }
    public StateDirectory State => new(Home);
    public ClientIdentity Identity { get; set; } = null!;
    public Link Link { get; set; } = null!;

    /// <summary>The symbolic links the user made in the folder, and what they point at.</summary>
    public DeviceLinks Links { get; }
    public bool Offline { get; set; }
    public LogPageCache LogPages { get; } = new();
    public CursorWatch Cursor { get; } = new();

    /// <summary>Called with each of the engine's "conflict: …" messages, as the conflict copy is made.</summary>
    public Action<string>? Conflict { get; set; }

    /// <summary>The socket pool outlives engine instances (like the OS's), so restarts leave stale pooled connections.</summary>
    public SocketsHttpHandler Sockets { get; } = new() { PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30), MaxConnectionsPerServer = 16 };

    public IReadOnlyList<string> RecentMessages
    {
        get { lock (_messages) return [.. _messages]; }
    }

    public ISyncObserver Observer => new Recorder(this);

    public void Dispose() => Sockets.Dispose();

    sealed class Recorder(SimDevice d) : ISyncObserver
    {
        public void Message(MessageLevel level, string text)
        {
            TraceFile.Write($"      {d.Name} {level}: {text}");
            if (level == MessageLevel.Info) return;
            if (text.StartsWith("conflict: ", StringComparison.Ordinal)) d.Conflict?.Invoke(text);
            lock (d._messages)
            {
                d._messages.Enqueue($"{level}: {text}");
                while (d._messages.Count > 20) d._messages.Dequeue();
            }
        }

        public void Progress(string phase, long done, long total) { }

        public void Done(SyncEvent e) => TraceFile.Write($"      {d.Name} done: {e.Kind} {e.Path}{(e.NewPath is null ? "" : " -> " + e.NewPath)}");
    }
}
