using Microsoft.Extensions.DependencyInjection;
using TinySync.Core.Contracts;
using TinySync.Server.Tests.Support;

namespace TinySync.Server.Tests.Identity;

/// <summary>
/// Every bad credential of issue 2 on a device route and on admin routes: a problem with a stable code, a
/// WWW-Authenticate challenge on 401, nothing of the presented secret echoed, nothing changed.
/// </summary>
public sealed class BadTokenTests_Sqlite(SharedServer fixture) : BadTokenTests(fixture), IClassFixture<SharedServer>;

public sealed class BadTokenTests_Postgres(PostgresSharedServer fixture) : BadTokenTests(fixture), IClassFixture<PostgresSharedServer>;

public abstract class BadTokenTests(SharedServer fixture)
{
    readonly TestServer _server = fixture.Server;
    const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    /// <summary>Variations of a real token, by name, so a failure names the case.</summary>
    static IEnumerable<(string Case, string Header, string Code)> Variants(string token)
    {
        var idEnd = "tsdev_".Length + 36;
        var secret = token[(idEnd + 1)..];
        var last = Alphabet.IndexOf(secret[^1], StringComparison.Ordinal);
        // 32 bytes = 256 bits; the 43rd character carries 4 bits and 2 zero bits: setting one is the same bytes spelled differently
        var nonCanonical = token[..^1] + Alphabet[last | 1];
        var withPlus = token[..(idEnd + 1)] + "+" + secret[1..];
        var withSlash = token[..(idEnd + 1)] + "/" + secret[1..];
        var padded = token[..^1] + "=";
        yield return ("not bearer", "Basic " + Convert.ToBase64String("a:b"u8), "malformed_token");
        yield return ("bearer without token", "Bearer ", "malformed_token");
        yield return ("empty header", "", "missing_token");
        yield return ("prefix only", "Bearer tsdev_", "malformed_token");
        yield return ("truncated by one", "Bearer " + token[..^1], "malformed_token");
        yield return ("truncated to the id", "Bearer " + token[..idEnd], "malformed_token");
        yield return ("one char too long", "Bearer " + token + "A", "malformed_token");
        yield return ("padding appended", "Bearer " + token + "=", "malformed_token");
        yield return ("padding in place of the last char", "Bearer " + padded, "malformed_token");
        yield return ("wrong prefix", "Bearer tsdex_" + token[6..], "malformed_token");
        yield return ("upper-case prefix", "Bearer TSDEV_" + token[6..], "malformed_token");
        yield return ("upper-case device id", "Bearer tsdev_" + token[6..idEnd].ToUpperInvariant() + token[idEnd..], "malformed_token");
        yield return ("device id without hyphens", "Bearer tsdev_" + token[6..idEnd].Replace("-", "", StringComparison.Ordinal) + "0000" + token[idEnd..], "malformed_token");
        yield return ("'-' as separator", "Bearer " + token[..idEnd] + "-" + secret, "malformed_token");
        yield return ("'+' instead of base64url", "Bearer " + withPlus, "malformed_token");
        yield return ("'/' instead of base64url", "Bearer " + withSlash, "malformed_token");
        yield return ("non-canonical last character", "Bearer " + nonCanonical, "malformed_token");
        yield return ("space inside", "Bearer " + token[..20] + " " + token[21..], "malformed_token");
        yield return ("a JWT", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", "malformed_token");
    }

    async Task<HttpResponseMessage> GetMeAsync(string? header)
    {
        using var c = _server.Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, "v1/me");
        if (header is not null) request.Headers.TryAddWithoutValidation("Authorization", header).ShouldBeTrue();
        return await c.SendAsync(request);
    }

    [Fact]
    public async Task Every_malformed_token_is_a_401_problem_that_echoes_no_secret_and_changes_nothing()
    {
        var device = await _server.RegisterAsync("victim");
        var secret = device.Token[43..];
        var head = await _server.AuditHeadAsync();

        var missing = await GetMeAsync(null);
        await missing.ShouldBeProblemAsync(401, "missing_token");
        missing.Headers.WwwAuthenticate.ToString().ShouldBe("Bearer realm=\"tinysync\"");

        foreach (var (name, header, code) in Variants(device.Token))
        {
            var r = await GetMeAsync(header);
            var body = await r.Content.ReadAsStringAsync();
            ((int)r.StatusCode).ShouldBe(401, $"{name}: {body}");
            await r.ShouldBeProblemAsync(401, code);
            r.Headers.WwwAuthenticate.ShouldNotBeEmpty(name);
            body.ShouldNotContain(secret[..20], Case.Sensitive, name);
        }

        (await _server.AuditHeadAsync()).ShouldBe(head);
        Db.Scalar(_server, "SELECT last_seen_at FROM devices WHERE device_id = @d", ("@d", device.DeviceId.ToString("D"))).ShouldBeNull(
            "no malformed request counts as the device being seen");
        // and the real token still works
        (await GetMeAsync("Bearer " + device.Token)).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task Two_authorization_headers_are_refused()
    {
        var device = await _server.RegisterAsync();
        using var c = _server.Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, "v1/me");
        request.Headers.TryAddWithoutValidation("Authorization", new[] { "Bearer " + device.Token, "Bearer " + device.Token });
        await (await c.SendAsync(request)).ShouldBeProblemAsync(401, "malformed_token");
    }

    [Fact]
    public async Task A_valid_looking_token_for_an_unknown_device_and_a_wrong_secret_answer_alike()
    {
        var device = await _server.RegisterAsync();
        var unknown = "tsdev_" + Guid.NewGuid().ToString("D") + device.Token[42..];
        var wrongSecret = device.Token[..43] + TinySync.Core.Identity.DeviceToken.Generate(device.DeviceId).Reveal()[43..];

        var a = await (await GetMeAsync("Bearer " + unknown)).ShouldBeProblemAsync(401, "invalid_token");
        var b = await (await GetMeAsync("Bearer " + wrongSecret)).ShouldBeProblemAsync(401, "invalid_token");
        a.Detail.ShouldBe(b.Detail, "an unknown device and a wrong secret must not be told apart");
        a.Detail!.ShouldNotContain(device.DeviceId.ToString());
    }

    [Fact]
    public async Task On_a_vault_route_a_wrong_secret_answers_like_an_unknown_device_and_the_edges_are_read_only_for_the_secrets_holder()
    {
        var (device, vault) = await _server.DeviceWithVaultAsync("vault route");
        var unknown = "tsdev_" + Guid.NewGuid().ToString("D") + device.Token[42..];
        var wrongSecret = device.Token[..43] + TinySync.Core.Identity.DeviceToken.Generate(device.DeviceId).Reveal()[43..];
        using var a = _server.Client(unknown);
        using var b = _server.Client(wrongSecret);

        var p1 = await (await a.GetAsync($"v1/vaults/{vault.VaultId}/log")).ShouldBeProblemAsync(401, "invalid_token");
        var p2 = await (await b.GetAsync($"v1/vaults/{vault.VaultId}/log")).ShouldBeProblemAsync(401, "invalid_token");
        p1.Detail.ShouldBe(p2.Detail);

        // The one statement in front of a vault route (decision 0507) looks at the edges only when the hash matches.
        var store = _server.App.Services.GetRequiredService<TinySync.Server.Storage.IStore>();
        var right = new byte[32];
        TinySync.Core.Identity.DeviceToken.TryParseToHash(device.Token, out _, right, out _).ShouldBeTrue();
        var wrong = new byte[32];
        TinySync.Core.Identity.DeviceToken.TryParseToHash(wrongSecret, out _, wrong, out _).ShouldBeTrue();
        (await store.FindCredentialAsync(device.DeviceId, vault.VaultId, right, default))!.ReachesVault.ShouldBeTrue();
        (await store.FindCredentialAsync(device.DeviceId, vault.VaultId, wrong, default))!.ReachesVault.ShouldBeFalse();
        (await store.FindCredentialAsync(device.DeviceId, Guid.NewGuid(), right, default))!.ReachesVault.ShouldBeFalse();
        (await store.FindCredentialAsync(Guid.NewGuid(), vault.VaultId, right, default)).ShouldBeNull();
    }

    [Fact]
    public async Task The_bearer_scheme_is_case_insensitive()
    {
        var device = await _server.RegisterAsync();
        (await GetMeAsync("bearer " + device.Token)).EnsureSuccessStatusCode();
        (await GetMeAsync("BEARER " + device.Token)).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task The_admin_token_on_a_device_route_is_403_and_a_device_token_on_admin_routes_is_403()
    {
        var device = await _server.RegisterAsync();
        var vault = await _server.CreateVaultAsync();
        var head = await _server.AuditHeadAsync();

        using (var admin = _server.Admin())
        {
            await (await admin.GetAsync("v1/me")).ShouldBeProblemAsync(403, "device_token_required");
            await (await admin.PostAsync("v1/me/revoke", null)).ShouldBeProblemAsync(403, "device_token_required");
        }

        using var d = _server.Client(device.Token);
        var g = Wire.NewGroup();
        var adminRoutes = new (HttpMethod, string, HttpContent?)[]
        {
            (HttpMethod.Get, "v1/devices", null),
            (HttpMethod.Get, $"v1/devices/{device.DeviceId}", null),
            (HttpMethod.Post, $"v1/devices/{device.DeviceId}/revoke", null),
            (HttpMethod.Get, "v1/vaults", null),
            (HttpMethod.Post, "v1/vaults", ProblemAssertions.Json("""{"name":"x"}""")),
            (HttpMethod.Put, $"v1/vaults/{Guid.NewGuid()}", ProblemAssertions.Json("""{"name":"x"}""")),
            (HttpMethod.Get, $"v1/vaults/{vault.VaultId}", null),
            (HttpMethod.Put, $"v1/vaults/{vault.VaultId}/containers/c", ProblemAssertions.Json("""{"namespace":"x"}""")),
            (HttpMethod.Get, "v1/groups", null),
            (HttpMethod.Put, $"v1/groups/{g}", null),
            (HttpMethod.Get, $"v1/groups/{g}", null),
            (HttpMethod.Delete, $"v1/groups/{g}", null),
            (HttpMethod.Put, $"v1/groups/{g}/devices/{device.DeviceId}", null),
            (HttpMethod.Delete, $"v1/groups/{g}/devices/{device.DeviceId}", null),
            (HttpMethod.Put, $"v1/groups/{g}/vaults/{vault.VaultId}", null),
            (HttpMethod.Delete, $"v1/groups/{g}/vaults/{vault.VaultId}", null),
            (HttpMethod.Get, "v1/audit", null),
        };
        foreach (var (method, path, body) in adminRoutes)
        {
            var r = await d.SendAsync(method, path, body);
            var problem = await r.ShouldBeProblemAsync(403, "admin_token_required");
            problem.Detail!.ShouldNotContain(device.Token[43..]);
        }
        using (var anonymous = _server.Client())
            await (await anonymous.GetAsync("v1/devices")).ShouldBeProblemAsync(401, "missing_token");
        using (var wrong = _server.Client("tsadm_wrong-wrong-wrong-wrong-wrong"))
            await (await wrong.GetAsync("v1/groups")).ShouldBeProblemAsync(401, "invalid_token");
        (await _server.AuditHeadAsync()).ShouldBe(head);
        (await _server.ReachableVaultsAsync(device.Token)).ShouldBeEmpty();
    }
}
