using System.Net.WebSockets;
using TinySync.Server.Auth;
using TinySync.Server.Hosting;
using TinySync.Server.Http;
using TinySync.Server.Streaming;

namespace TinySync.Server.Apis;

/// <summary>
/// <c>GET /v1/stream</c>: the wake-hint WebSocket (docs/protocol.md#stream; docs/decisions/0351–0355). The device token
/// is read from the <c>Authorization</c> header of the upgrade request only — never from the query string, which
/// ends up in proxy and access logs. Authentication failures are answered with problem details before upgrading.
/// </summary>
public static class StreamApi
{
    /// <summary>Problem code of a plain HTTP request to the stream.</summary>
    public const string WebSocketRequired = "websocket_required";

    /// <summary>Problem code of a token passed in the query string.</summary>
    public const string TokenInQuery = "token_in_query";

    static readonly string[] TokenQueryKeys = ["access_token", "token", "bearer", "authorization"];

    /// <summary>Registers the stream's services (options from <c>TinySync:Stream</c>, metrics, the hub).</summary>
    public static IServiceCollection AddStreamServices(this IServiceCollection services, StreamSettings settings)
    {
        services.AddSingleton(StreamOptions.From(settings));
        services.AddSingleton<StreamMetrics>();
        services.AddSingleton<StreamHub>();
        services.AddHostedService(sp => sp.GetRequiredService<StreamHub>());
        return services;
    }

    /// <summary>Maps the route (and the WebSocket middleware in front of it).</summary>
    public static WebApplication MapStreamApi(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<StreamOptions>();
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = options.KeepAliveInterval, KeepAliveTimeout = options.KeepAliveTimeout });
        app.MapGet("/v1/stream", Open).WithName("openStream").WithSummary("Open the wake-hint WebSocket (upgrade request)").WithTags("Stream").WithMetadata(RequiredToken.Device)
            .Produces(StatusCodes.Status101SwitchingProtocols)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        return app;
    }

    static async Task<IResult> Open(HttpContext http, Authenticator auth, StreamHub hub, StreamOptions options)
    {
        foreach (var key in TokenQueryKeys)
        {
            if (http.Request.Query.ContainsKey(key))
                return Problems.BadRequest(TokenInQuery,
                    "tokens are not accepted in the query string (it ends up in logs); send 'Authorization: Bearer <token>' on the upgrade request");
        }
        if (await auth.AuthenticateDeviceAsync(http, http.RequestAborted).ConfigureAwait(false) is { } problem) return problem;
        if (!http.WebSockets.IsWebSocketRequest)
            return Problems.BadRequest(WebSocketRequired, "/v1/stream is a WebSocket: send a WebSocket upgrade request (GET with 'Upgrade: websocket')");

        using var ws = await http.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            KeepAliveInterval = options.KeepAliveInterval,
            KeepAliveTimeout = options.KeepAliveTimeout,
        }).ConfigureAwait(false);
        await hub.RunAsync(http.Device().DeviceId, ws).ConfigureAwait(false);
        return Results.Empty;
    }
}
