using System.Net.Sockets;
using System.Text.Json;
using TinySync.Client.Engine;
using TinySync.Client.State;
using TinySync.Core.Json;

namespace TinySync.Client.Daemon;

/// <summary>
/// The daemon's end of the control socket (decision 0450): refuses to start beside a live daemon of the same state
/// directory, removes a stale socket file, creates the socket owner-only (0600) and answers one request per
/// connection, from the owner's uid only.
/// </summary>
public sealed class ControlServer : IAsyncDisposable
{
    static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(5);
    const int UnixPathMax = 107; // sun_path is 108 bytes with its NUL

    readonly Socket _listener;
    readonly string _path;
    readonly Func<ControlRequest, ControlResponse> _handle;
    readonly ISyncObserver _log;
    readonly CancellationTokenSource _stop = new();
    readonly Task _loop;

    ControlServer(Socket listener, string path, Func<ControlRequest, ControlResponse> handle, ISyncObserver log)
    {
        _listener = listener;
        _path = path;
        _handle = handle;
        _log = log;
        _loop = AcceptLoopAsync();
    }

    /// <summary>
    /// Starts listening; throws a <see cref="ClientException"/> when another daemon answers on the socket, returns null
    /// (with a warning) where no socket can be made (Windows without Unix sockets, a state path too long for one).
    /// </summary>
    public static async Task<ControlServer?> StartAsync(StateDirectory state, Func<ControlRequest, ControlResponse> handle, ISyncObserver log, CancellationToken ct)
    {
        var path = ControlSocket.PathFor(state);
        if (!Socket.OSSupportsUnixDomainSockets || System.Text.Encoding.UTF8.GetByteCount(path) > UnixPathMax)
        {
            log.Message(MessageLevel.Warning, $"no control socket at {path} (too long a path, or no Unix sockets here); `tinysync status` will not see this daemon; a shorter --home fixes it");
            return null;
        }
        state.EnsureWritable();
        if (File.Exists(path))
        {
            var answer = await ControlSocket.AskAsync(state, new ControlRequest("status"), ct).ConfigureAwait(false);
            if (answer is not null)
            {
                throw new ClientException("daemon_running", $"a daemon already runs for {state.Root} (pid {answer.Pid}); stop it first (`kill {answer.Pid}`), or give this one another --home");
            }
            File.Delete(path); // left by a daemon that was killed: nobody listens on it
        }
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(path));
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            listener.Listen(16);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            listener.Dispose();
            throw new ClientException("daemon_running", $"another daemon started for {state.Root} at the same moment; stop it first, or give this one another --home", e);
        }
        catch
        {
            listener.Dispose();
            throw;
        }
        return new ControlServer(listener, path, handle, log);
    }

    async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException || _stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException e)
            {
                _log.Message(MessageLevel.Warning, $"control socket: {e.Message}");
                continue;
            }
            _ = ServeAsync(client);
        }
    }

    async Task ServeAsync(Socket client)
    {
        using (client)
        {
            try
            {
                if (ControlSocket.OwnUid() is { } own && ControlSocket.PeerUid(client) is { } peer && peer != own) return; // only the owner
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                timeout.CancelAfter(ReadTimeout);
                var line = await ControlSocket.ReadLineAsync(client, timeout.Token).ConfigureAwait(false);
                if (line is null) return;
                ControlResponse response;
                try
                {
                    var request = JsonSerializer.Deserialize<ControlRequest>(line, TinySyncJson.Options);
                    response = request is null ? Refuse("empty request") : _handle(request);
                }
                catch (JsonException e)
                {
                    response = Refuse($"not a request ({e.Message})");
                }
                await ControlSocket.WriteLineAsync(client, response, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // the asker went away or took too long: nothing to answer
            }
        }
    }

    static ControlResponse Refuse(string why) => new(Environment.ProcessId, [], why);

    /// <summary>Stops listening and removes the socket file.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _loop.ConfigureAwait(false);
        try { File.Delete(_path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        _stop.Dispose();
    }
}
