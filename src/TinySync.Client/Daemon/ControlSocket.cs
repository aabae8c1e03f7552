using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using TinySync.Client.State;
using TinySync.Core.Json;

namespace TinySync.Client.Daemon;

/// <summary>
/// Where the daemon's control socket lives (<c>daemon.sock</c> in the state directory) and how a client asks it one
/// question (decision 0450). Only the owner reaches it: the socket file is 0600 in the 0700 state directory, and the
/// daemon also checks the peer's uid.
/// </summary>
public static partial class ControlSocket
{
    /// <summary>Largest request or response line read.</summary>
    internal const int MaxLine = 1 << 20;

    static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The socket's path for a state directory.</summary>
    public static string PathFor(StateDirectory state) => Path.Combine(state.Root, "daemon.sock");

    /// <summary>
    /// Asks the daemon of <paramref name="state"/>; null when none answers (no socket, a stale one, nobody listening).
    /// </summary>
    public static async Task<ControlResponse?> AskAsync(StateDirectory state, ControlRequest request, CancellationToken ct = default)
    {
        var path = PathFor(state);
        if (!File.Exists(path) || OperatingSystem.IsWindows() && !Socket.OSSupportsUnixDomainSockets) return null;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(AskTimeout);
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), timeout.Token).ConfigureAwait(false);
            await WriteLineAsync(socket, request, timeout.Token).ConfigureAwait(false);
            var line = await ReadLineAsync(socket, timeout.Token).ConfigureAwait(false);
            return line is null ? null : JsonSerializer.Deserialize<ControlResponse>(line, TinySyncJson.Options);
        }
        catch (SocketException)
        {
            return null; // refused (stale socket file) or gone
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new ClientException("daemon_not_answering", $"the daemon's socket {path} accepted but did not answer within {AskTimeout.TotalSeconds:0} s; check the daemon's log, or stop it and start it again");
        }
        catch (JsonException e)
        {
            throw new ClientException("daemon_bad_answer", $"the daemon's socket {path} answered something unreadable ({e.Message}); is it the same tinysync version? restart the daemon", e);
        }
    }

    internal static async Task WriteLineAsync<T>(Socket socket, T value, CancellationToken ct)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(value, TinySyncJson.Options);
        var line = new byte[bytes.Length + 1];
        bytes.CopyTo(line, 0);
        line[^1] = (byte)'\n';
        for (var sent = 0; sent < line.Length;)
        {
            sent += await socket.SendAsync(line.AsMemory(sent), SocketFlags.None, ct).ConfigureAwait(false);
        }
    }

    /// <summary>One line (without its newline), or null when the peer closed first; bounded by <see cref="MaxLine"/>.</summary>
    internal static async Task<string?> ReadLineAsync(Socket socket, CancellationToken ct)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[4096];
        while (buffer.Length < MaxLine)
        {
            var n = await socket.ReceiveAsync(chunk, SocketFlags.None, ct).ConfigureAwait(false);
            if (n == 0) return null;
            var nl = Array.IndexOf(chunk, (byte)'\n', 0, n);
            buffer.Write(chunk, 0, nl < 0 ? n : nl);
            if (nl >= 0) return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        }
        return null;
    }

    /// <summary>The uid of the process at the other end of a Unix socket (Linux SO_PEERCRED), or null elsewhere.</summary>
    internal static uint? PeerUid(Socket socket)
    {
        if (!OperatingSystem.IsLinux()) return null;
        Span<byte> cred = stackalloc byte[12]; // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
        const int SolSocket = 1, SoPeerCred = 17;
        var n = socket.GetRawSocketOption(SolSocket, SoPeerCred, cred);
        return n >= 8 ? BitConverter.ToUInt32(cred[4..8]) : null;
    }

    /// <summary>This process's uid (null on Windows).</summary>
    internal static uint? OwnUid() => OperatingSystem.IsWindows() ? null : GetUid();

    [LibraryImport("libc", EntryPoint = "getuid")]
    private static partial uint GetUid();
}
