using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Net.Http.Headers;
using TinySync.Core.Contracts;
using TinySync.Server.Hosting;
using TinySync.Server.Http;
using TinySync.Server.Observability;

namespace TinySync.Server.Auth;

/// <summary>
/// Throttling with ASP.NET Core's rate limiter (decision 0222): open registrations per client address (a Platform
/// Service registering with the admin token is not throttled), and failed authentications per client address and
/// per device id. Limits are per minute, per node, configurable; no address is exempt, loopback included. A request
/// whose token is valid always passes: only failures are counted, and only failures are answered with 429.
/// </summary>
public static class Throttling
{
    /// <summary>The rate-limiter policy of <c>POST /v1/devices</c>.</summary>
    public const string RegistrationPolicy = "registration";

    /// <summary>Registers the rate limiter, its registration policy and the failure counters.</summary>
    public static IServiceCollection AddTinySyncThrottling(this IServiceCollection services, TinySyncOptions options)
    {
        services.AddSingleton(new AuthFailureThrottle(options));
        services.AddRateLimiter(o =>
        {
            o.AddPolicy(RegistrationPolicy, http =>
            {
                // The admin token's holder is the operator or the Platform Service: it registers whole fleets.
                if (http.Request.Headers.Authorization is [{ } value] && value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                    && http.RequestServices.GetRequiredService<AdminToken>().Matches(value[7..].Trim()))
                {
                    return RateLimitPartition.GetNoLimiter("admin");
                }
                return RateLimitPartition.GetFixedWindowLimiter(ClientAddress(http), _ => PerMinute(options.RegistrationsPerMinute));
            });
            o.OnRejected = async (context, ct) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromMinutes(1);
                var http = context.HttpContext;
                Log.Throttled(http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(Throttling).FullName!),
                    http.Request.Method, http.Request.Path, ClientAddress(http), $"{options.RegistrationsPerMinute} registrations per minute");
                await TooManyRequests(http, retryAfter,
                    $"this address registered {options.RegistrationsPerMinute} devices in the last minute; retry after {Seconds(retryAfter)} s, or register through your Platform Service").ExecuteAsync(http).ConfigureAwait(false);
            };
        });
        return services;
    }

    internal static FixedWindowRateLimiterOptions PerMinute(int permits) => new()
    {
        PermitLimit = permits, Window = TimeSpan.FromMinutes(1), QueueLimit = 0, AutoReplenishment = true,
    };

    /// <summary>A 429 problem with Retry-After (whole seconds, at least 1).</summary>
    internal static IResult TooManyRequests(HttpContext http, TimeSpan retryAfter, string detail)
    {
        http.Response.Headers[HeaderNames.RetryAfter] = Seconds(retryAfter).ToString(CultureInfo.InvariantCulture);
        return Problems.Of(StatusCodes.Status429TooManyRequests, ProblemCodes.TooManyRequests, detail);
    }

    static int Seconds(TimeSpan t) => Math.Max(1, (int)Math.Ceiling(t.TotalSeconds));

    /// <summary>
    /// The partition key of a client: its IPv4 address, or the /64 network of an IPv6 address (one subscriber holds a
    /// whole /64, so single IPv6 addresses would not limit anyone). Behind a reverse proxy this is the proxy.
    /// </summary>
    public static string ClientAddress(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var ip = http.Connection.RemoteIpAddress;
        if (ip is null) return "unknown";
        if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
        if (ip.AddressFamily != AddressFamily.InterNetworkV6) return ip.ToString();
        Span<byte> bytes = stackalloc byte[16];
        ip.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes).ToString() + "/64";
    }
}

/// <summary>
/// Counts failed authentications per client address and per device id (a well-formed token of a device that exists);
/// once either count passes its limit, further failures are answered 429 instead of 401. Verification always runs
/// first, so a device presenting its valid token is never refused for failures of others.
/// </summary>
public sealed class AuthFailureThrottle(TinySyncOptions options) : IAsyncDisposable
{
    readonly PartitionedRateLimiter<string> _byAddress = PartitionedRateLimiter.Create<string, string>(
        key => RateLimitPartition.GetFixedWindowLimiter(key, _ => Throttling.PerMinute(options.AuthFailuresPerAddressPerMinute)));
    readonly PartitionedRateLimiter<string> _byDevice = PartitionedRateLimiter.Create<string, string>(
        key => RateLimitPartition.GetFixedWindowLimiter(key, _ => Throttling.PerMinute(options.AuthFailuresPerDevicePerMinute)));

    /// <summary>
    /// Counts one failure; returns the 429 problem to send instead of the failure's own when a limit is exceeded
    /// (null otherwise).
    /// </summary>
    public IResult? Count(HttpContext http, Guid? knownDevice)
    {
        ArgumentNullException.ThrowIfNull(http);
        var address = Throttling.ClientAddress(http);
        using var byAddress = _byAddress.AttemptAcquire(address);
        using var byDevice = knownDevice is { } d ? _byDevice.AttemptAcquire(d.ToString("D")) : null;
        RateLimitLease? refused = !byAddress.IsAcquired ? byAddress : byDevice is { IsAcquired: false } ? byDevice : null;
        if (refused is null) return null;
        var retryAfter = refused.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromMinutes(1);
        var what = ReferenceEquals(refused, byAddress)
            ? $"this address failed to authenticate more than {options.AuthFailuresPerAddressPerMinute} times in a minute"
            : $"this device's token failed more than {options.AuthFailuresPerDevicePerMinute} times in a minute";
        Log.Throttled(http.RequestServices.GetRequiredService<ILogger<AuthFailureThrottle>>(), http.Request.Method, http.Request.Path, address, what);
        return Throttling.TooManyRequests(http, retryAfter,
            $"{what}; retry after the time in Retry-After with a valid token (`tinysync login` if this device's token is lost)");
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _byAddress.DisposeAsync().ConfigureAwait(false);
        await _byDevice.DisposeAsync().ConfigureAwait(false);
    }
}
