using System.Net;
using System.Net.Http.Headers;

namespace TinySync.Server.Tests.Support;

/// <summary>
/// A chunked request body sent in two parts with a gate between them, to hold a request open across a change on the
/// server. Sent with <c>Expect: 100-continue</c> (see <see cref="Client"/>): the server answers 100 only once the
/// endpoint starts reading the body — after authentication and the vault check — so <see cref="Reading"/> completes
/// exactly when the request is past its filters and waiting for the rest of the body. No sleeps.
/// </summary>
public sealed class GatedContent(byte[] head, byte[] tail, string mediaType) : HttpContent
{
    readonly TaskCompletionSource _reading = new(TaskCreationOptions.RunContinuationsAsynchronously);
    readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the server has started reading the body (and the head has been sent).</summary>
    public Task Reading => _reading.Task;

    /// <summary>Sends the rest of the body.</summary>
    public void Open() => _gate.TrySetResult();

    /// <summary>A client that waits for 100 Continue as long as it takes (the default gives up after one second).</summary>
    public static HttpClient Client(Uri baseAddress, string token)
    {
        var c = new HttpClient(new SocketsHttpHandler { Expect100ContinueTimeout = TimeSpan.FromMinutes(2) }) { BaseAddress = baseAddress };
        c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return c;
    }

    /// <summary>Sends <paramref name="method"/> <paramref name="path"/> with this body and Expect: 100-continue.</summary>
    public Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path)
    {
        Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        var request = new HttpRequestMessage(method, path) { Content = this };
        request.Headers.ExpectContinue = true;
        return client.SendAsync(request);
    }

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        await stream.WriteAsync(head);
        await stream.FlushAsync();
        _reading.TrySetResult();
        await _gate.Task.WaitAsync(TimeSpan.FromMinutes(2));
        await stream.WriteAsync(tail);
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false; // chunked, like a client trickling its body
    }
}
