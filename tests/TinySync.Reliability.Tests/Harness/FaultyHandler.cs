using System.Net;
using System.Text.RegularExpressions;

namespace TinySync.Reliability.Tests.Harness;

/// <summary>
/// The network between one client "process" and the server: drops requests before they are sent, drops responses
/// after the server committed, sends requests twice, delays, resets connections mid-body (chunk uploads and
/// downloads), answers a log read with an earlier log page (duplicated or reordered pages, as a misbehaving proxy
/// would), restarts the server in the middle of a request, and kills the client right after a commit was answered.
/// One instance per sync cycle; the socket handler underneath is shared.
/// </summary>
public sealed partial class FaultyHandler(HttpMessageHandler inner, FaultProfile profile, FaultDice? dice, FaultCounts counts,
    LogPageCache logPages, Func<Task> restartServer, CrashSwitch crash, CursorWatch cursor, Action? userEdit = null) : DelegatingHandler(inner)
{
    /// <summary>The device is offline: every request fails as if the network were down.</summary>
    public bool Offline { get; init; }

    [GeneratedRegex("/v1/vaults/[0-9a-fA-F-]{36}")]
    private static partial Regex VaultSegment();

    [GeneratedRegex("[?&]after=([0-9]+)")]
    private static partial Regex AfterParameter();

    static string Key(HttpRequestMessage r) => r.Method.Method + " " + VaultSegment().Replace(r.RequestUri!.PathAndQuery, "/v1/vaults/V");

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        crash.ThrowIfDead();
        if (request.Method == HttpMethod.Get && request.RequestUri!.AbsolutePath.EndsWith("/log", StringComparison.Ordinal)
            && AfterParameter().Match(request.RequestUri.Query) is { Success: true } m)
        {
            cursor.Observe(long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        }
        if (Offline)
        {
            counts.Add("offline_refused");
            throw new HttpRequestException("injected: network unreachable (device offline)");
        }
        if (dice is null) return await base.SendAsync(request, ct);
        var key = Key(request);
        var path = request.RequestUri!.AbsolutePath;
        var isLog = request.Method == HttpMethod.Get && path.EndsWith("/log", StringComparison.Ordinal);
        var isChunk = path.Contains("/chunks/", StringComparison.Ordinal) && !path.EndsWith("/missing", StringComparison.Ordinal);
        var isOps = request.Method == HttpMethod.Post && path.EndsWith("/ops", StringComparison.Ordinal);

        if (dice.Roll("crash", key, profile.Crash)) crash.Die(counts, "crash_before_request", key);
        if (dice.Roll("restart", key, profile.RestartInFlight))
        {
            counts.Add("server_restart_in_flight");
            await restartServer();
        }
        if (dice.Roll("delay", key, profile.Delay))
        {
            counts.Add("delay");
            await Task.Delay(1 + dice.Int("delay_ms", key, 40), ct);
        }
        if (userEdit is not null && request.Method == HttpMethod.Post && path.EndsWith("/chunks/missing", StringComparison.Ordinal)
            && dice.Roll("user_edit", key, profile.MidCycleEdit))
        {
            userEdit(); // the user saves a file after the scan, before the upload reads it
        }
        if (dice.Roll("drop_request", key, profile.DropRequest))
        {
            counts.Add("drop_request");
            throw new HttpRequestException("injected: request dropped before it reached the server");
        }
        if (isLog && dice.Roll("stale_log", key, profile.StaleLogPage) && logPages.Pick(dice, key) is { } stale)
        {
            counts.Add("stale_log_page");
            return Json(stale);
        }
        var isUpload = isChunk && (request.Method == HttpMethod.Put || (request.Method == HttpMethod.Post && path.EndsWith("/chunks/batch", StringComparison.Ordinal)));
        if (isUpload && request.Content is not null && dice.Roll("reset_upload", key, profile.ResetMidBody))
        {
            counts.Add("reset_mid_upload");
            var body = await request.Content.ReadAsByteArrayAsync(ct);
            var contentType = request.Content.Headers.ContentType;
            request.Content = new StreamContent(new BrokenStream(body, body.Length / 2));
            request.Content.Headers.ContentLength = body.Length;
            request.Content.Headers.ContentType = contentType;
            return await base.SendAsync(request, ct); // throws: the body breaks off half way
        }
        if (dice.Roll("duplicate", key, profile.Duplicate))
        {
            counts.Add("duplicate_request");
            var body = request.Content is null ? null : await request.Content.ReadAsByteArrayAsync(ct);
            using var twin = new HttpRequestMessage(request.Method, request.RequestUri);
            foreach (var h in request.Headers) twin.Headers.TryAddWithoutValidation(h.Key, h.Value);
            if (body is not null)
            {
                twin.Content = ReplaceContent(request, body);
                request.Content = ReplaceContent(request, body);
            }
            using (await base.SendAsync(twin, ct)) { }
        }
        var response = await base.SendAsync(request, ct);
        if (dice.Roll("drop_response", key, profile.DropResponse))
        {
            counts.Add("drop_response");
            response.Dispose();
            throw new HttpRequestException("injected: connection reset after the server answered");
        }
        if (isOps && userEdit is not null && dice.Roll("user_edit_after_commit", key, profile.MidCycleEdit))
        {
            userEdit(); // between the server's commit and the engine's index update
        }
        if (isOps && dice.Roll("crash_after_commit", key, profile.CrashAfterCommit))
        {
            response.Dispose();
            crash.Die(counts, "crash_after_commit", key);
        }
        if (isLog && response.StatusCode == HttpStatusCode.OK)
        {
            var bytes = await response.Content.ReadAsByteArrayAsync(ct);
            logPages.Add(bytes);
            response.Content = Json(bytes).Content;
        }
        if (response.StatusCode == HttpStatusCode.OK && dice.Roll("reset_download", key, isChunk ? profile.ResetMidBody : profile.ResetMidBody / 2))
        {
            // the answer breaks off half way: a chunk mid-download, or a log page, tree page or ops result mid-body
            counts.Add(isChunk ? "reset_mid_download" : "reset_mid_response");
            var bytes = await response.Content.ReadAsByteArrayAsync(ct);
            var content = new StreamContent(new BrokenStream(bytes, bytes.Length / 2));
            foreach (var h in response.Content.Headers) content.Headers.TryAddWithoutValidation(h.Key, h.Value);
            response.Content = content;
        }
        return response;
    }

    static ByteArrayContent ReplaceContent(HttpRequestMessage request, byte[] body)
    {
        var c = new ByteArrayContent(body);
        if (request.Content is not null)
        {
            foreach (var h in request.Content.Headers) c.Headers.TryAddWithoutValidation(h.Key, h.Value);
        }
        return c;
    }

    static HttpResponseMessage Json(byte[] body)
    {
        var c = new ByteArrayContent(body);
        c.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        return new HttpResponseMessage(HttpStatusCode.OK) { Content = c };
    }

    /// <summary>A body that delivers its first <c>cut</c> bytes and then fails like a reset connection.</summary>
    sealed class BrokenStream(byte[] data, int cut) : Stream
    {
        int _pos;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => data.Length;
        public override long Position { get => _pos; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_pos >= cut) throw new IOException("injected: connection reset by peer (mid-body)");
            var n = Math.Min(count, cut - _pos);
            Array.Copy(data, _pos, buffer, offset, n);
            _pos += n;
            return n;
        }
    }
}

/// <summary>Log pages this device received before, kept across cycles like a stale cache in front of the server.</summary>
public sealed class LogPageCache
{
    readonly List<byte[]> _pages = [];

    public void Add(byte[] page)
    {
        lock (_pages)
        {
            _pages.Add(page);
            if (_pages.Count > 16) _pages.RemoveAt(0);
        }
    }

    public byte[]? Pick(FaultDice dice, string key)
    {
        lock (_pages)
        {
            return _pages.Count == 0 ? null : _pages[dice.Int("stale_pick", key, _pages.Count)];
        }
    }
}

/// <summary>
/// Whether the simulated client process is dead. After the crash every later call of that engine instance fails too,
/// so nothing runs on past the crash point; the next cycle starts a fresh "process" from the persisted state.
/// </summary>
public sealed class CrashSwitch
{
    volatile string? _where;

    public bool IsDead => _where is not null;
    public string? Where => _where;

    public void ThrowIfDead()
    {
        if (_where is { } w) throw new SimulatedCrash(w + " (already dead)");
    }

    public void Die(FaultCounts counts, string kind, string key)
    {
        if (_where is null)
        {
            _where = kind + " " + key;
            counts.Add(kind);
        }
        throw new SimulatedCrash(_where);
    }
}

/// <summary>
/// The device's log cursor as its requests show it (across engine instances and crashes): it must never go back, or
/// the engine replayed a duplicated or stale page over newer state.
/// </summary>
public sealed class CursorWatch
{
    long _max = -1;
    readonly List<string> _regressions = [];

    public void Observe(long after)
    {
        lock (_regressions)
        {
            if (after < _max) _regressions.Add($"log cursor went back from {_max} to {after}");
            _max = Math.Max(_max, after);
        }
    }

    /// <summary>Regressions seen since the last call.</summary>
    public IReadOnlyList<string> Drain()
    {
        lock (_regressions)
        {
            var r = _regressions.ToList();
            _regressions.Clear();
            return r;
        }
    }
}
