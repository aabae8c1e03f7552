using System.Net.Sockets;
using System.Text;
using TinySync.Server.Tests.Support;

namespace TinySync.Server.Tests.Sync;

/// <summary>
/// A total deadline on request bodies (decision 0221): a body trickled slowly enough to satisfy Kestrel's minimum data
/// rate still ends at the deadline, with a 408 problem, and nothing is written.
/// </summary>
public sealed class BodyDeadlineTests
{
    [Fact]
    public async Task An_ops_body_that_keeps_trickling_past_the_deadline_is_answered_408_and_commits_nothing()
    {
        await using var server = await TestServer.StartAsync(s => s["TINYSYNC_REQUEST_BODY_TIMEOUT_SECONDS"] = "2");
        using var a = await SyncClient.CreateAsync(server);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.BaseAddress.Host, server.BaseAddress.Port);
        var stream = tcp.GetStream();
        var head = $"POST /{a.Base}/ops HTTP/1.1\r\nHost: {server.BaseAddress.Authority}\r\n" +
                   $"Authorization: {a.Http.DefaultRequestHeaders.Authorization}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
                   "8\r\n{\"ops\":[\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));

        // Trickle one space at a time, well above Kestrel's minimum rate, until the server answers.
        var reading = ReadResponseAsync(stream);
        while (!reading.IsCompleted)
        {
            try { await stream.WriteAsync("1\r\n \r\n"u8.ToArray()); }
            catch (IOException) { break; } // the server closed the connection after answering
            await Task.WhenAny(reading, Task.Delay(100));
        }
        var response = await reading;
        response.ShouldStartWith("HTTP/1.1 408");
        response.ShouldContain("\"code\":\"body_timeout\"");
        (await a.LogAsync()).Head.ShouldBe(0);
        server.LogText.ShouldContain($"Request body of POST /{a.Base}/ops took longer than 2 s");
    }

    static async Task<string> ReadResponseAsync(NetworkStream stream)
    {
        var buffer = new byte[8192];
        var text = new StringBuilder();
        while (true)
        {
            int n;
            try { n = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(30)); }
            catch (IOException) { return text.ToString(); } // reset after the answer: the trickle was still arriving
            if (n == 0) return text.ToString();
            text.Append(Encoding.UTF8.GetString(buffer, 0, n));
            var t = text.ToString();
            if (t.Contains("\r\n\r\n", StringComparison.Ordinal) && t.Contains('}', StringComparison.Ordinal)) return t;
        }
    }
}
