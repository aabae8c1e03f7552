using Microsoft.AspNetCore.Http.Features;
using TinySync.Server.Hosting;
using TinySync.Server.Observability;

namespace TinySync.Server.Http;

/// <summary>
/// A total deadline on every request body (decision 0221): Kestrel's minimum data rate stops a body that stalls, not
/// one that trickles (a few hundred bytes a second keep a request open for ever). The deadline starts when the
/// request's headers have arrived; a read that would pass it fails with 408 <c>body_timeout</c>. Requests without a
/// body (GET, the stream's WebSocket upgrade) are not touched.
/// </summary>
internal sealed class BodyDeadline(RequestDelegate next, TinySyncOptions options, ILogger<BodyDeadline> log)
{
    public async Task InvokeAsync(HttpContext http)
    {
        if (http.Features.Get<IHttpRequestBodyDetectionFeature>() is not { CanHaveBody: true })
        {
            await next(http).ConfigureAwait(false);
            return;
        }
        var original = http.Request.Body;
        await using var bounded = new DeadlineStream(original, options.RequestBodyTimeout, http.RequestAborted);
        http.Request.Body = bounded;
        try
        {
            await next(http).ConfigureAwait(false);
        }
        finally
        {
            http.Request.Body = original;
            if (bounded.Expired) Log.BodyDeadline(log, http.Request.Method, http.Request.Path, options.RequestBodyTimeout.TotalSeconds);
        }
    }

    /// <summary>The request body, readable until the deadline.</summary>
    sealed class DeadlineStream : Stream
    {
        readonly Stream _inner;
        readonly CancellationTokenSource _deadline;
        readonly CancellationToken _aborted;
        readonly TimeSpan _timeout;

        public DeadlineStream(Stream inner, TimeSpan timeout, CancellationToken aborted)
        {
            _inner = inner;
            _timeout = timeout;
            _aborted = aborted;
            _deadline = CancellationTokenSource.CreateLinkedTokenSource(aborted);
            _deadline.CancelAfter(timeout);
        }

        public bool Expired { get; private set; }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            // The caller's token is nearly always the request's own, which the deadline's token already follows.
            using var linked = ct.CanBeCanceled && ct != _aborted ? CancellationTokenSource.CreateLinkedTokenSource(ct, _deadline.Token) : null;
            try
            {
                return await _inner.ReadAsync(buffer, linked?.Token ?? _deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_deadline.IsCancellationRequested && !_aborted.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                Expired = true;
                throw new BadHttpRequestException(
                    $"the request body took longer than {_timeout.TotalSeconds:0.#} s to arrive; send it again (smaller) on a faster connection",
                    StatusCodes.Status408RequestTimeout);
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
            ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

        public override int Read(byte[] buffer, int offset, int count) =>
            throw new NotSupportedException("request bodies are read asynchronously");

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override ValueTask DisposeAsync()
        {
            _deadline.Dispose();
            return ValueTask.CompletedTask; // the inner body belongs to the server
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _deadline.Dispose();
            base.Dispose(disposing);
        }
    }
}
