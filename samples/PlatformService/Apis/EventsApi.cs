using PlatformService.Events;

namespace PlatformService.Apis;

/// <summary><c>POST /events</c>: ecosystem events in (docs/platform-service.md).</summary>
internal static class EventsApi
{
    public static IEndpointRouteBuilder MapEventsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/events", Receive);
        return app;
    }

    // 200 applied (or a duplicate: nothing done), 202 pending (TinySync unreachable, retried in the background),
    // 400 malformed, 404 unknown user / workspace / device, 409 deleted user.
    static async Task<IResult> Receive(HttpContext http, EventProcessor processor, CancellationToken ct)
    {
        var (body, problem) = await Http.ReadObjectAsync(http, ct);
        if (problem is not null) return problem;
        if (!EcosystemEvent.TryParse(body, out var ev, out var error)) return Http.Problem(400, "invalid_event", error);
        try
        {
            var outcome = await processor.AcceptAsync(ev, ct);
            return outcome.Status == Catalog.EventStatus.Pending && !outcome.Duplicate
                ? TypedResults.Accepted($"/events/{Uri.EscapeDataString(outcome.EventId)}", outcome)
                : TypedResults.Ok(outcome);
        }
        catch (EventRejectedException e)
        {
            return Http.Problem(e.Status, e.Code, e.Message);
        }
    }
}
