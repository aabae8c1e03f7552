using System.Net;
using System.Text.RegularExpressions;

namespace TinySync.EndToEnd.Tests.Support;

/// <summary>
/// An HTTP handler that counts the chunk requests a client makes ("PUT chunk", "GET chunk", "POST batch",
/// "POST fetch") and, with <see cref="OldServer"/>, answers the batch routes like a server without them (404).
/// </summary>
public sealed partial class RequestLog : DelegatingHandler
{
    readonly Dictionary<string, int> _counts = new(StringComparer.Ordinal);

    public RequestLog() : base(new SocketsHttpHandler()) { }

    /// <summary>Answer POST chunks/batch and chunks/fetch with a plain 404, as a server that predates them does.</summary>
    public bool OldServer { get; init; }

    public int this[string kind] { get { lock (_counts) return _counts.GetValueOrDefault(kind); } }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = request.RequestUri!.AbsolutePath;
        var kind = path.EndsWith("/chunks/batch", StringComparison.Ordinal) ? "POST batch"
            : path.EndsWith("/chunks/fetch", StringComparison.Ordinal) ? "POST fetch"
            : ChunkRoute().IsMatch(path) ? $"{request.Method} chunk" : null;
        if (kind is not null)
        {
            lock (_counts) _counts[kind] = _counts.GetValueOrDefault(kind) + 1;
        }
        if (OldServer && kind is "POST batch" or "POST fetch") return new HttpResponseMessage(HttpStatusCode.NotFound) { RequestMessage = request };
        return await base.SendAsync(request, cancellationToken);
    }

    [GeneratedRegex("/chunks/[0-9a-f]{64}$")]
    private static partial Regex ChunkRoute();
}
