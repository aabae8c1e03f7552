using System.Net;
using System.Text;
using TinySync.Client.Api;

namespace TinySync.Reliability.Tests;

/// <summary>Focused regressions for violations the scenarios found in the device API client.</summary>
public sealed class DeviceApiClientTests
{
    const string Token = "tsdev_0b5a7c1e-2f4d-4e6a-9c8b-1d2e3f4a5b6c_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    static readonly RetryPolicy Fast = new(3, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(5));

    /// <summary>Seed 5: a chunk download whose connection reset mid-body threw HttpRequestException out of the sync cycle.</summary>
    [Fact]
    public async Task A_chunk_body_that_breaks_off_is_fetched_again()
    {
        var body = Encoding.UTF8.GetBytes("0123456789abcdef");
        using var handler = new BreaksFirstBody(body);
        using var api = new DeviceApiClient("http://127.0.0.1:9", Token, Fast, handler);
        var bytes = await api.GetChunkAsync(Guid.NewGuid(), new string('a', 64), CancellationToken.None);
        bytes.ShouldBe(body);
        handler.Requests.ShouldBe(2);
    }

    [Fact]
    public async Task A_pooled_chunk_body_that_breaks_off_is_fetched_again()
    {
        var body = Encoding.UTF8.GetBytes("0123456789abcdef");
        using var handler = new BreaksFirstBody(body);
        using var api = new DeviceApiClient("http://127.0.0.1:9", Token, Fast, handler);
        using var got = await api.GetChunkRentedAsync(Guid.NewGuid(), new string('a', 64), CancellationToken.None);
        got.Chunks.ShouldHaveSingleItem().Bytes.ToArray().ShouldBe(body);
        handler.Requests.ShouldBe(2);
    }

    [Fact]
    public async Task A_log_page_that_breaks_off_is_read_again()
    {
        var body = Encoding.UTF8.GetBytes("""{"entries":[],"head":7,"has_more":false}""");
        using var handler = new BreaksFirstBody(body);
        using var api = new DeviceApiClient("http://127.0.0.1:9", Token, Fast, handler);
        var page = await api.GetLogAsync(Guid.NewGuid(), 0, 10, CancellationToken.None);
        page.Head.ShouldBe(7);
        handler.Requests.ShouldBe(2);
    }

    [Fact]
    public async Task A_body_that_keeps_breaking_off_ends_as_server_unavailable()
    {
        using var handler = new BreaksFirstBody(new byte[64]) { BreakEvery = true };
        using var api = new DeviceApiClient("http://127.0.0.1:9", Token, Fast, handler);
        await Should.ThrowAsync<TinySync.Client.State.ServerUnavailableException>(() => api.GetChunkAsync(Guid.NewGuid(), new string('a', 64), CancellationToken.None));
        handler.Requests.ShouldBe(Fast.Attempts);
    }

    sealed class BreaksFirstBody(byte[] body) : HttpMessageHandler
    {
        public int Requests;
        public bool BreakEvery { get; init; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var broken = Interlocked.Increment(ref Requests) == 1 || BreakEvery;
            HttpContent content = broken ? new StreamContent(new Broken(body)) : new ByteArrayContent(body);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            content.Headers.ContentLength = body.Length; // announced whole, as a server does, even when it breaks off
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = content });
        }
    }

    sealed class Broken(byte[] data) : MemoryStream(data, 0, data.Length / 2)
    {
        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = base.Read(buffer, offset, count);
            return n > 0 ? n : throw new IOException("connection reset by peer");
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await base.ReadAsync(buffer, cancellationToken);
            return n > 0 ? n : throw new IOException("connection reset by peer");
        }
    }
}
