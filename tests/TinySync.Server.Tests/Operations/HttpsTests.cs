using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using TinySync.Server.Tests.Support;

namespace TinySync.Server.Tests.Operations;

/// <summary>
/// HTTPS configured the ASP.NET Core way (docs/operations.md): Kestrel endpoints with a certificate file, on the real
/// server process. The certificate is made by the test and trusted by the test's client alone.
/// </summary>
public class HttpsTests
{
    static X509Certificate2 SelfSigned()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false)); // server auth
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
    }

    // Trusts exactly this certificate as a root, and still checks the chain and the host name.
    static HttpClient TrustingOnly(X509Certificate2 root, int port)
    {
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
        {
            if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch) || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable)) return false;
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(root);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(new X509Certificate2(certificate));
        };
        return new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(30) };
    }

    [Fact]
    public async Task The_server_answers_over_https_with_the_certificate_named_in_its_kestrel_endpoint_settings()
    {
        using var dir = new TempDir();
        using var certificate = SelfSigned();
        var pfx = dir.Sub("server.pfx");
        await File.WriteAllBytesAsync(pfx, certificate.Export(X509ContentType.Pfx, "test-password"));
        var httpsPort = ServerProcess.FreePort();
        await using var server = new ServerProcess(dir.Sub("data"), new Dictionary<string, string>
        {
            ["Kestrel__Endpoints__Https__Url"] = $"https://127.0.0.1:{httpsPort}",
            ["Kestrel__Endpoints__Https__Certificate__Path"] = pfx,
            ["Kestrel__Endpoints__Https__Certificate__Password"] = "test-password",
        });
        // Endpoints in configuration replace --urls: plain HTTP stays on the port the harness waits on.
        server.Environment["Kestrel__Endpoints__Http__Url"] = server.BaseAddress.ToString().TrimEnd('/');
        await server.StartAsync();

        using var https = TrustingOnly(certificate, httpsPort);
        using var get = await https.GetAsync("healthz");
        get.StatusCode.ShouldBe(HttpStatusCode.OK);
        using var head = await https.SendAsync(new HttpRequestMessage(HttpMethod.Head, "healthz"));
        head.StatusCode.ShouldBe(HttpStatusCode.OK);

        // A client that trusts only the system's roots refuses the self-signed certificate: the test's trust is what let it in.
        using var untrusting = new HttpClient { BaseAddress = new Uri($"https://127.0.0.1:{httpsPort}/") };
        await Should.ThrowAsync<HttpRequestException>(() => untrusting.GetAsync("healthz"));
        server.Output.ShouldNotContain("test-password");
    }
}
