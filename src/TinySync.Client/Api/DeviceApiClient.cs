using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using TinySync.Client.State;
using TinySync.Core.Chunking;
using TinySync.Core.Contracts;
using TinySync.Core.Identity;
using TinySync.Core.Json;

namespace TinySync.Client.Api;

/// <summary>Retry policy for transient failures (connection refused, timeouts, 5xx, 429).</summary>
/// <param name="Attempts">Total attempts per request.</param>
/// <param name="FirstDelay">Delay before the first retry; doubles each time, with jitter.</param>
/// <param name="MaxDelay">Cap on one delay.</param>
public sealed record RetryPolicy(int Attempts, TimeSpan FirstDelay, TimeSpan MaxDelay)
{
    /// <summary>About half a minute of retries: enough to ride out a server restart.</summary>
    public static RetryPolicy Default { get; } = new(8, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5));

    /// <summary>Fails fast (one attempt): for interactive commands that should answer at once.</summary>
    public static RetryPolicy None { get; } = new(1, TimeSpan.Zero, TimeSpan.Zero);

    internal TimeSpan DelayFor(int attempt)
    {
        var ms = Math.Min(MaxDelay.TotalMilliseconds, FirstDelay.TotalMilliseconds * Math.Pow(2, attempt));
        return TimeSpan.FromMilliseconds(ms * (0.75 + Random.Shared.NextDouble() * 0.5));
    }
}

/// <summary>
/// HTTP client of the device API. Problem details become typed exceptions; transient failures are retried with
/// exponential backoff; the token is never logged or put in an exception message.
/// </summary>
public sealed class DeviceApiClient : IDeviceApi, IDisposable
{
    readonly HttpClient _http;
    readonly RetryPolicy _retry;

    /// <summary>Creates a client for <paramref name="server"/> authenticated with <paramref name="token"/>.</summary>
    public DeviceApiClient(string server, string? token, RetryPolicy? retry = null, HttpMessageHandler? handler = null)
    {
        Server = server.TrimEnd('/') + "/";
        _retry = retry ?? RetryPolicy.Default;
        _http = handler is null ? new HttpClient(new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30), MaxConnectionsPerServer = 16 })
            : new HttpClient(handler, disposeHandler: false);
        _http.BaseAddress = new Uri(Server);
        _http.Timeout = TimeSpan.FromSeconds(100);
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("tinysync-client/0.1");
        if (token is not null)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            DeviceId = DeviceToken.TryParse(token, out var t, out _) ? t.DeviceId : Guid.Empty;
        }
    }

    /// <summary>Creates a client from a saved identity.</summary>
    public static DeviceApiClient For(ClientIdentity identity, RetryPolicy? retry = null) => new(identity.Server, identity.Token, retry);

    /// <summary>The server's base URL.</summary>
    public string Server { get; }

    /// <summary>The device token, for the stream's Authorization header (never logged).</summary>
    internal string? Token => _http.DefaultRequestHeaders.Authorization?.Parameter;

    /// <inheritdoc/>
    public Guid DeviceId { get; }

    /// <inheritdoc/>
    public Task<MeView> GetMeAsync(CancellationToken ct) => SendAsync<MeView>(() => new HttpRequestMessage(HttpMethod.Get, "v1/me"), ct);

    /// <inheritdoc/>
    public async Task RevokeSelfAsync(CancellationToken ct)
    {
        using var _ = await SendRawAsync(() => new HttpRequestMessage(HttpMethod.Post, "v1/me/revoke"), ct).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public Task<LogPage> GetLogAsync(Guid vault, long after, int limit, CancellationToken ct) =>
        SendAsync<LogPage>(() => new HttpRequestMessage(HttpMethod.Get, $"v1/vaults/{vault}/log?after={after}&limit={limit}"), ct);

    /// <inheritdoc/>
    public Task<TreePage> GetTreeAsync(Guid vault, string container, string? cursor, CancellationToken ct) =>
        SendAsync<TreePage>(() => new HttpRequestMessage(HttpMethod.Get,
            $"v1/vaults/{vault}/tree?container={Uri.EscapeDataString(container)}" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor))), ct);

    /// <inheritdoc/>
    public async Task<IReadOnlyList<string>> MissingChunksAsync(Guid vault, IReadOnlyList<string> hashes, CancellationToken ct) =>
        (await SendAsync<MissingChunksResponse>(() => JsonRequest(HttpMethod.Post, $"v1/vaults/{vault}/chunks/missing", new MissingChunksRequest(hashes)), ct)
            .ConfigureAwait(false)).Missing;

    /// <inheritdoc/>
    public async Task PutChunkAsync(Guid vault, string hash, ReadOnlyMemory<byte> bytes, CancellationToken ct)
    {
        using var _ = await SendRawAsync(() =>
        {
            var r = new HttpRequestMessage(HttpMethod.Put, $"v1/vaults/{vault}/chunks/{hash}") { Content = new ReadOnlyMemoryContent(bytes) };
            r.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            return r;
        }, ct).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task<byte[]> GetChunkAsync(Guid vault, string hash, CancellationToken ct)
    {
        return await SendAndReadAsync(() => new HttpRequestMessage(HttpMethod.Get, $"v1/vaults/{vault}/chunks/{hash}"),
            response => response.Content.ReadAsByteArrayAsync(ct), ct).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task<RentedChunks> GetChunkRentedAsync(Guid vault, string hash, CancellationToken ct)
    {
        var (buffer, length, rented) = await SendAndReadAsync(() => new HttpRequestMessage(HttpMethod.Get, $"v1/vaults/{vault}/chunks/{hash}"),
            response => ReadBodyAsync(response, ct), ct).ConfigureAwait(false);
        return new RentedChunks(rented ? buffer : null, [(hash, buffer.AsMemory(0, length))]);
    }

    // Largest answer read into a pooled buffer (a fetch answer is at most 16 MiB); anything else gets its own array.
    const long PooledBodyBytes = 32L << 20;

    // The body into a pooled buffer when its length is announced, else into its own array. A body that breaks off
    // throws (the caller retries); the buffer goes back to the pool then.
    static async Task<(byte[] Buffer, int Length, bool Rented)> ReadBodyAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.Content.Headers.ContentLength is not { } length || length > PooledBodyBytes)
        {
            var bytes = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
            return (bytes, bytes.Length, false);
        }
        var buffer = ArrayPool<byte>.Shared.Rent((int)length);
        try
        {
            var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                await stream.ReadExactlyAsync(buffer.AsMemory(0, (int)length), ct).ConfigureAwait(false);
            }
            return (buffer, (int)length, true);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    /// <inheritdoc/>
    public async Task<bool> PutChunksAsync(Guid vault, IReadOnlyList<(string Hash, ReadOnlyMemory<byte> Bytes)> chunks, CancellationToken ct)
    {
        if (_noBatchRoutes) return false;
        try
        {
            using var _ = await SendRawAsync(() => new HttpRequestMessage(HttpMethod.Post, $"v1/vaults/{vault}/chunks/batch") { Content = new FramedChunksContent(chunks) },
                ct).ConfigureAwait(false);
            return true;
        }
        catch (ApiProblemException e) when (IsMissingRoute(e))
        {
            _noBatchRoutes = true;
            return false;
        }
    }

    /// <inheritdoc/>
    public async Task<RentedChunks?> FetchChunksAsync(Guid vault, IReadOnlyList<string> hashes, CancellationToken ct)
    {
        if (_noBatchRoutes) return null;
        (byte[] Buffer, int Length, bool Rented) body;
        try
        {
            body = await SendAndReadAsync(() => JsonRequest(HttpMethod.Post, $"v1/vaults/{vault}/chunks/fetch", new ChunkFetchRequest(hashes)),
                response => ReadBodyAsync(response, ct), ct).ConfigureAwait(false);
        }
        catch (ApiProblemException e) when (IsMissingRoute(e))
        {
            _noBatchRoutes = true;
            return null;
        }
        if (!ChunkFrames.TryParse(body.Buffer.AsMemory(0, body.Length), int.MaxValue, int.MaxValue, out var frames, out var error))
        {
            if (body.Rented) ArrayPool<byte>.Shared.Return(body.Buffer);
            throw new ServerUnavailableException($"the server at {Server} sent a damaged chunk batch ({error.Detail}); it will be retried");
        }
        return new RentedChunks(body.Rented ? body.Buffer : null, [.. frames.Select(f => (f.Hash, f.Content))]);
    }

    // An older server answers a route it does not know with 404 (no problem code of ours) or 405 (the path matches
    // the single-chunk route's template); "vault_not_found" and "chunk_not_found" are real answers, not a missing route.
    static bool IsMissingRoute(ApiProblemException e) =>
        e.Status is 405 || (e.Status is 404 && e.ProblemCode is not (ProblemCodes.VaultNotFound or ProblemCodes.ChunkNotFound));

    volatile bool _noBatchRoutes;

    /// <summary>Frames chunks straight from their buffers into the request stream (no contiguous copy).</summary>
    sealed class FramedChunksContent : HttpContent
    {
        readonly IReadOnlyList<(string Hash, ReadOnlyMemory<byte> Bytes)> _chunks;

        public FramedChunksContent(IReadOnlyList<(string Hash, ReadOnlyMemory<byte> Bytes)> chunks)
        {
            _chunks = chunks;
            Headers.ContentType = new MediaTypeHeaderValue(ChunkFrames.MediaType);
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            var header = new byte[ChunkFrames.HeaderLength];
            foreach (var (hash, bytes) in _chunks)
            {
                ChunkFrames.WriteHeader(header, hash, bytes.Length);
                await stream.WriteAsync(header, cancellationToken).ConfigureAwait(false);
                await stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _chunks.Sum(c => (long)ChunkFrames.FrameLength(c.Bytes.Length));
            return true;
        }
    }

    /// <inheritdoc/>
    public Task<OpsResponse> CommitAsync(Guid vault, IReadOnlyList<Op> ops, CancellationToken ct) =>
        SendAsync<OpsResponse>(() => JsonRequest(HttpMethod.Post, $"v1/vaults/{vault}/ops", new OpsRequest(ops)), ct);

    /// <inheritdoc/>
    public Task<HistoryPage> GetHistoryAsync(Guid vault, string container, string path, CancellationToken ct) =>
        SendAsync<HistoryPage>(() => new HttpRequestMessage(HttpMethod.Get,
            $"v1/vaults/{vault}/history?container={Uri.EscapeDataString(container)}&path={Uri.EscapeDataString(path)}"), ct);

    /// <inheritdoc/>
    public Task<DeletedPage> GetDeletedAsync(Guid vault, string container, string? under, string? cursor, CancellationToken ct) =>
        SendAsync<DeletedPage>(() => new HttpRequestMessage(HttpMethod.Get,
            $"v1/vaults/{vault}/deleted?container={Uri.EscapeDataString(container)}"
            + (under is null ? "" : $"&under={Uri.EscapeDataString(under)}") + (cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}")), ct);

    static HttpRequestMessage JsonRequest<T>(HttpMethod method, string uri, T body) =>
        new(method, uri) { Content = JsonContent.Create(body, options: TinySyncJson.Options) };

    Task<T> SendAsync<T>(Func<HttpRequestMessage> request, CancellationToken ct) => SendAndReadAsync(request, async response =>
    {
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(TinySyncJson.Options, ct).ConfigureAwait(false)
                ?? throw new ApiProblemException((int)response.StatusCode, null, $"the server at {Server} sent an empty answer; check that the URL points at a TinySync server");
        }
        catch (JsonException e)
        {
            throw new ApiProblemException((int)response.StatusCode, "bad_response",
                $"the server at {Server} sent an answer this client does not understand ({e.Message}); check that client and server versions match");
        }
    }, ct);

    /// <summary>
    /// Sends and reads the answer's body. A connection that breaks off mid-body is retried like one that failed before
    /// the headers: the request is repeated (reads are idempotent; ops carry op ids the server answers once).
    /// </summary>
    async Task<T> SendAndReadAsync<T>(Func<HttpRequestMessage> request, Func<HttpResponseMessage, Task<T>> read, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var response = await SendRawAsync(request, ct).ConfigureAwait(false);
            try
            {
                return await read(response).ConfigureAwait(false);
            }
            catch (Exception e) when (IsTransient(e, ct))
            {
                if (attempt + 1 >= _retry.Attempts) throw new ServerUnavailableException($"the server at {Server} broke off its answer ({Describe(e)}); it will be retried", e);
                await Task.Delay(_retry.DelayFor(attempt), ct).ConfigureAwait(false);
            }
        }
    }

    async Task<HttpResponseMessage> SendRawAsync(Func<HttpRequestMessage> request, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var last = attempt + 1 >= _retry.Attempts;
            HttpResponseMessage response;
            try
            {
                using var message = request();
                response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (IsTransient(e, ct))
            {
                if (last) throw new ServerUnavailableException($"the server at {Server} is unreachable ({Describe(e)}); it will be retried — check the URL or run the server", e);
                await Task.Delay(_retry.DelayFor(attempt), ct).ConfigureAwait(false);
                continue;
            }
            if (response.IsSuccessStatusCode) return response;
            var status = (int)response.StatusCode;
            if (status is 502 or 503 or 504 or 429 or 408 && !last)
            {
                response.Dispose();
                await Task.Delay(_retry.DelayFor(attempt), ct).ConfigureAwait(false);
                continue;
            }
            using (response)
            {
                throw await ToExceptionAsync(response, ct).ConfigureAwait(false);
            }
        }
    }

    async Task<Exception> ToExceptionAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var status = (int)response.StatusCode;
        Problem? problem = null;
        try
        {
            var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            if (text.Length > 0 && text[0] == '{')
            {
                problem = JsonSerializer.Deserialize<Problem>(text, new JsonSerializerOptions(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower });
            }
        }
        catch (JsonException) { }
        var code = problem?.Code;
        var detail = DeviceToken.RedactAll(problem?.Detail ?? problem?.Title ?? response.ReasonPhrase ?? "no detail");
        if (status == 401)
        {
            return code == ProblemCodes.DeviceRevoked
                ? new DeviceRevokedException("this device was revoked; run `tinysync register` or `tinysync login` again")
                : new DeviceRevokedException($"the server at {Server} does not accept this device's token ({code ?? "401"}); run `tinysync register` or `tinysync login` again");
        }
        if (status >= 500)
        {
            return new ServerUnavailableException($"the server at {Server} failed ({status} {code}: {detail}); it will be retried — check the server's log");
        }
        return new ApiProblemException(status, code, $"the server refused the request ({status} {code}: {detail})");
    }

    static bool IsTransient(Exception e, CancellationToken ct) => e switch
    {
        HttpRequestException => true,
        TaskCanceledException when !ct.IsCancellationRequested => true, // HttpClient timeout
        IOException => true,
        _ => false,
    };

    static string Describe(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
        {
            if (x is SocketException se)
            {
                return se.SocketErrorCode switch
                {
                    SocketError.ConnectionRefused => "connection refused",
                    SocketError.HostNotFound => "host not found",
                    SocketError.TimedOut => "timed out",
                    SocketError.ConnectionReset => "connection reset",
                    _ => se.SocketErrorCode.ToString(),
                };
            }
        }
        return e is TaskCanceledException ? "timed out" : e.GetType().Name;
    }

    /// <inheritdoc/>
    public void Dispose() => _http.Dispose();

    /// <summary>True when the status code means "not found" (unknown or unreachable vault, missing chunk).</summary>
    public static bool IsNotFound(Exception e) => e is ApiProblemException { Status: (int)HttpStatusCode.NotFound };
}
