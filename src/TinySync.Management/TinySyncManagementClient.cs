using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Polly;
using Polly.Retry;
using TinySync.Core.Contracts;
using TinySync.Core.Identity;
using TinySync.Core.Json;

namespace TinySync.Management;

/// <summary>
/// Typed client for the TinySync management API (docs/protocol.md#management-api) and device registration, authenticated with the admin
/// token. Errors surface as <see cref="TinySyncApiException"/> (404 <see cref="TinySyncNotFoundException"/>,
/// 409 <see cref="TinySyncConflictException"/>, 401/403 <see cref="TinySyncUnauthorizedException"/>, no answer
/// <see cref="TinySyncUnavailableException"/>).
/// </summary>
/// <remarks>
/// Transient failures (network errors, timeouts, 429 honouring <c>Retry-After</c>, 502, 503, 504) are retried with
/// exponential backoff and jitter, <see cref="ManagementClientOptions.MaxRetryAttempts"/> times, for idempotent calls
/// only (every GET, PUT and DELETE, and revoke). <see cref="RegisterDeviceAsync"/> and <see cref="CreateVaultAsync"/>
/// are not idempotent: each success creates a new device or vault, so they are retried only when the request
/// certainly did not reach the server (the connection could not be opened, or 429). To create a vault safely under
/// retries, choose its id and call <see cref="PutVaultAsync"/>. Thread-safe; one instance per server.
/// </remarks>
public sealed partial class TinySyncManagementClient : IDisposable
{
    /// <summary>What observers see in place of the admin token.</summary>
    public const string RedactedAdminToken = "***admin-token***";

    static readonly JsonSerializerOptions ReadOptions = new(TinySyncJson.Options)
    {
        // Answers may gain fields in later server versions; requests stay strict.
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    };

    readonly HttpClient _http;
    readonly bool _ownsHttp;
    readonly Uri _baseAddress;
    readonly string? _adminToken;
    readonly ManagementClientOptions _options;
    readonly ResiliencePipeline<RawResponse> _idempotent;
    readonly ResiliencePipeline<RawResponse> _nonIdempotent;

    /// <summary>A client over an existing <see cref="HttpClient"/> whose <see cref="HttpClient.BaseAddress"/> is the server's URL.</summary>
    /// <param name="http">The HTTP client; not disposed by this instance. Its default headers are not changed.</param>
    /// <param name="adminToken">The admin token; null to call only open registration.</param>
    /// <param name="options">Retry and observer settings.</param>
    public TinySyncManagementClient(HttpClient http, string? adminToken, ManagementClientOptions? options = null)
        : this(http, false, http?.BaseAddress ?? throw new ArgumentException("the HttpClient needs a BaseAddress (the TinySync server URL)", nameof(http)), adminToken, options)
    {
    }

    /// <summary>A client with its own <see cref="HttpClient"/> (disposed with this instance).</summary>
    /// <param name="baseAddress">The TinySync server URL, e.g. <c>http://127.0.0.1:8080/</c>.</param>
    /// <param name="adminToken">The admin token; null to call only open registration.</param>
    /// <param name="options">Retry and observer settings.</param>
    public TinySyncManagementClient(Uri baseAddress, string? adminToken, ManagementClientOptions? options = null)
        : this(new HttpClient { Timeout = TimeSpan.FromSeconds(30) }, true, baseAddress, adminToken, options)
    {
    }

    TinySyncManagementClient(HttpClient http, bool ownsHttp, Uri baseAddress, string? adminToken, ManagementClientOptions? options)
    {
        ArgumentNullException.ThrowIfNull(baseAddress);
        _http = http;
        _ownsHttp = ownsHttp;
        _baseAddress = baseAddress.AbsoluteUri.EndsWith('/') ? baseAddress : new Uri(baseAddress.AbsoluteUri + "/");
        _adminToken = string.IsNullOrEmpty(adminToken) ? null : adminToken;
        _options = options ?? new ManagementClientOptions();
        _idempotent = BuildPipeline(idempotent: true);
        _nonIdempotent = BuildPipeline(idempotent: false);
    }

    /// <summary>The server URL this client talks to.</summary>
    public Uri BaseAddress => _baseAddress;

    /// <summary>
    /// Replaces the admin token and every device token in <paramref name="text"/> with redacted forms. This is what
    /// the observer is given; use it for anything else you log about calls.
    /// </summary>
    public string Redact(string text)
    {
        if (string.IsNullOrEmpty(text)) return text;
        if (_adminToken is not null) text = text.Replace(_adminToken, RedactedAdminToken, StringComparison.Ordinal);
        return DeviceToken.RedactAll(text);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsHttp) _http.Dispose();
    }

    // ---- transport ----

    /// <summary>One answer, fully read: small JSON bodies only, so retries never juggle open responses.</summary>
    sealed record RawResponse(HttpStatusCode Status, string Body, TimeSpan? RetryAfter);

    ResiliencePipeline<RawResponse> BuildPipeline(bool idempotent)
    {
        var builder = new ResiliencePipelineBuilder<RawResponse> { TimeProvider = _options.TimeProvider };
        if (_options.MaxRetryAttempts <= 0) return builder.Build();
        return builder.AddRetry(new RetryStrategyOptions<RawResponse>
        {
            MaxRetryAttempts = _options.MaxRetryAttempts,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = _options.RetryBaseDelay,
            MaxDelay = _options.MaxRetryDelay,
            ShouldHandle = args => ValueTask.FromResult(idempotent
                ? IsTransient(args.Outcome, args.Context.CancellationToken)
                : CertainlyNotApplied(args.Outcome)),
            DelayGenerator = args =>
            {
                if (args.Outcome.Result?.RetryAfter is { } wait)
                    return ValueTask.FromResult<TimeSpan?>(wait > _options.MaxRetryDelay ? _options.MaxRetryDelay : wait);
                return ValueTask.FromResult<TimeSpan?>(null); // the exponential backoff with jitter
            },
        }).Build();
    }

    static bool IsTransient(Outcome<RawResponse> outcome, CancellationToken ct) => outcome switch
    {
        { Exception: HttpRequestException } => true,
        { Exception: OperationCanceledException } => !ct.IsCancellationRequested, // HttpClient.Timeout
        { Result.Status: HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout } => true,
        _ => false,
    };

    // A request that could not open a connection was never sent; a 429 was refused before it was processed.
    static bool CertainlyNotApplied(Outcome<RawResponse> outcome) => outcome switch
    {
        { Exception: HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } } => true,
        { Result.Status: HttpStatusCode.TooManyRequests } => true,
        _ => false,
    };

    async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, bool idempotent, CancellationToken ct)
    {
        var answer = await SendCoreAsync(method, path, body, idempotent, ct).ConfigureAwait(false);
        try
        {
            return JsonSerializer.Deserialize<T>(answer.Body, ReadOptions)
                   ?? throw new TinySyncApiException(method, path, answer.Status, null, $"{method} {path} answered JSON null");
        }
        catch (JsonException e)
        {
            throw new TinySyncApiException(method, path, answer.Status, null,
                $"{method} {path} answered {(int)answer.Status} with a body this client cannot read: {e.Message}", e);
        }
    }

    async Task SendAsync(HttpMethod method, string path, object? body, bool idempotent, CancellationToken ct) =>
        await SendCoreAsync(method, path, body, idempotent, ct).ConfigureAwait(false);

    async Task<RawResponse> SendCoreAsync(HttpMethod method, string path, object? body, bool idempotent, CancellationToken ct)
    {
        var json = body is null ? null : JsonSerializer.Serialize(body, body.GetType(), TinySyncJson.Options);
        var pipeline = idempotent ? _idempotent : _nonIdempotent;
        var attempt = 0;
        RawResponse answer;
        try
        {
            answer = await pipeline.ExecuteAsync(
                async token => await SendOnceAsync(method, path, json, Interlocked.Increment(ref attempt), token).ConfigureAwait(false),
                ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw Unavailable(method, path, attempt, idempotent, e);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw Unavailable(method, path, attempt, idempotent, e);
        }
        if ((int)answer.Status is >= 200 and < 300) return answer;
        throw TinySyncApiException.From(method, path, answer.Status, ReadProblem(answer.Body));
    }

    TinySyncUnavailableException Unavailable(HttpMethod method, string path, int attempts, bool idempotent, Exception e) =>
        new(method, path, $"{method} {path}: no answer from the TinySync server at {_baseAddress} after {attempts} attempt(s): {Redact(e.Message)}" +
            (idempotent ? "" : "; the request may or may not have been applied, check before repeating it"), e);

    static Problem? ReadProblem(string body)
    {
        if (string.IsNullOrWhiteSpace(body)) return null;
        try
        {
            return JsonSerializer.Deserialize<Problem>(body, ReadOptions);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    async ValueTask<RawResponse> SendOnceAsync(HttpMethod method, string path, string? json, int attempt, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, new Uri(_baseAddress, path.TrimStart('/')));
        if (_adminToken is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _adminToken);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        var startedAt = _options.TimeProvider.GetUtcNow();
        var start = Stopwatch.GetTimestamp();
        RawResponse answer;
        try
        {
            using var response = await _http.SendAsync(request, ct).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            answer = new RawResponse(response.StatusCode, text, RetryAfter(response));
        }
        catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            await ObserveAsync(new ManagementCall(method.Method, path, null, Stopwatch.GetElapsedTime(start), ObservedBody(json), null,
                attempt, Redact(e.Message), startedAt)).ConfigureAwait(false);
            throw;
        }
        await ObserveAsync(new ManagementCall(method.Method, path, (int)answer.Status, Stopwatch.GetElapsedTime(start), ObservedBody(json),
            ObservedBody(answer.Body), attempt, null, startedAt)).ConfigureAwait(false);
        return answer;
    }

    TimeSpan? RetryAfter(HttpResponseMessage response) => TinySync.Core.Http.RetryAfter.Of(response.Headers, _options.TimeProvider.GetUtcNow());

    string? ObservedBody(string? body)
    {
        if (body is null) return null;
        var redacted = Redact(body);
        return redacted.Length <= _options.MaxObservedBodyChars ? redacted : redacted[.._options.MaxObservedBodyChars] + "…";
    }

    async ValueTask ObserveAsync(ManagementCall call)
    {
        if (_options.Observer is not { } observer) return;
        try
        {
            // Not the caller's token: a cancelled call still gets its log entry.
            await observer.OnCallAsync(call, CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // a failing observer must not cost the caller an answer (see IManagementCallObserver)
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    static string Id(Guid id) => id.ToString("D");

    static string Query(params (string Name, string? Value)[] pairs)
    {
        var parts = pairs.Where(p => p.Value is not null).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}").ToArray();
        return parts.Length == 0 ? "" : "?" + string.Join('&', parts);
    }

    // Group ids may contain ':' (e.g. "pg:ws:acme"), legal in a path segment: keep it readable in paths and logs.
    static string Segment(string value) => Uri.EscapeDataString(value).Replace("%3A", ":", StringComparison.Ordinal);
}
