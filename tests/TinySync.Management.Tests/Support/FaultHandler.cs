using System.Net;

namespace TinySync.Management.Tests.Support;

/// <summary>
/// Sits between the client and the real server and injects faults: the next N requests answered with a status
/// without reaching the server, forwarded but answered with a status (the answer is lost), or failed as network errors.
/// A fake for faults only; everything else goes to the real server.
/// </summary>
public sealed class FaultHandler : DelegatingHandler
{
    readonly Queue<Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>>> _faults = new();
    int _requests;

    public FaultHandler() : base(new SocketsHttpHandler()) { }

    /// <summary>Requests that went through this handler, faulted or not.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Requests that reached the real server.</summary>
    public int Forwarded { get; private set; }

    public FaultHandler RespondWithoutForwarding(HttpStatusCode status, TimeSpan? retryAfter = null, string? body = null)
    {
        lock (_faults) _faults.Enqueue((_, _) => Task.FromResult(Answer(status, retryAfter, body)));
        return this;
    }

    public FaultHandler ForwardThenRespond(HttpStatusCode status)
    {
        lock (_faults) _faults.Enqueue(async (request, ct) =>
        {
            using var real = await ForwardAsync(request, ct);
            return Answer(status, TimeSpan.Zero, null);
        });
        return this;
    }

    public FaultHandler FailConnection()
    {
        lock (_faults) _faults.Enqueue((_, _) => throw new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused (injected)"));
        return this;
    }

    public FaultHandler ResetAfterSending()
    {
        lock (_faults) _faults.Enqueue((_, _) => throw new HttpRequestException(HttpRequestError.ResponseEnded, "The response ended prematurely (injected)"));
        return this;
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _requests);
        Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>>? fault = null;
        lock (_faults) _faults.TryDequeue(out fault);
        return fault is null ? ForwardAsync(request, cancellationToken) : fault(request, cancellationToken);
    }

    Task<HttpResponseMessage> ForwardAsync(HttpRequestMessage request, CancellationToken ct)
    {
        Forwarded++;
        return base.SendAsync(request, ct);
    }

    static HttpResponseMessage Answer(HttpStatusCode status, TimeSpan? retryAfter, string? body)
    {
        var r = new HttpResponseMessage(status)
        {
            Content = new StringContent(body ?? $"{{\"status\":{(int)status},\"code\":\"unavailable\",\"detail\":\"injected\"}}",
                System.Text.Encoding.UTF8, "application/problem+json"),
        };
        if (retryAfter is { } ra) r.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(ra);
        return r;
    }
}
