using TinySync.Core.Contracts;
using TinySync.Server.Auth;
using TinySync.Server.Blobs;
using TinySync.Server.Observability;
using TinySync.Server.Storage;
using TinySync.Server.Storage.Sql;

namespace TinySync.Server.Http;

/// <summary>
/// Turns every exception into a problem response without a stack trace: oversized or malformed requests into 4xx,
/// an unreachable database into 503 with Retry-After, a write refused because access ended mid-request into the
/// 401 or 404 a new request would get, anything else into a 500 that points at the server log.
/// </summary>
internal sealed class ErrorBoundary(RequestDelegate next, SqlDialect dialect, ILogger<ErrorBoundary> log)
{
    public async Task InvokeAsync(HttpContext http)
    {
        try
        {
            await next(http).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // the client went away; nothing to answer
        }
        catch (AccessEndedException refused) when (!http.Response.HasStarted)
        {
            http.Response.Clear();
            await (await AccessEnded.AnswerAsync(http, refused, log).ConfigureAwait(false)).ExecuteAsync(http).ConfigureAwait(false);
        }
        catch (Exception e) when (!http.Response.HasStarted)
        {
            IResult problem;
            var retryAfter = false;
            if (e is BadHttpRequestException bad)
            {
                problem = bad.StatusCode switch
                {
                    StatusCodes.Status413PayloadTooLarge => JsonBody.TooLarge(http),
                    // BodyDeadline's total deadline, or Kestrel's minimum data rate
                    StatusCodes.Status408RequestTimeout => Problems.Of(bad.StatusCode, ProblemCodes.BodyTimeout,
                        "the request body arrived too slowly or took too long; send it again, smaller or on a faster connection"),
                    _ => Problems.Of(bad.StatusCode, ProblemCodes.InvalidArgument, "the request could not be read; check its headers and body"),
                };
            }
            else if (e is ChunkStoreUnavailableException)
            {
                Log.ChunkStoreUnavailable(log, http.Request.Method, http.Request.Path, e.Message);
                retryAfter = true;
                problem = Problems.Of(StatusCodes.Status503ServiceUnavailable, ProblemCodes.Unavailable,
                    "the chunk store is unavailable right now; retry in a few seconds");
            }
            else if (dialect.IsTransient(e) || e is TimeoutException)
            {
                Log.DatabaseUnavailable(log, http.Request.Method, http.Request.Path, e.GetType().Name);
                retryAfter = true;
                problem = Problems.Of(StatusCodes.Status503ServiceUnavailable, ProblemCodes.Unavailable,
                    "the database is unavailable right now; retry in a few seconds");
            }
            else
            {
                Log.Unhandled(log, e, http.Request.Method, http.Request.Path);
                problem = Problems.Of(StatusCodes.Status500InternalServerError, ProblemCodes.InternalError,
                    $"the server failed to handle the request; the operator can find request {http.TraceIdentifier} in the server log");
            }
            http.Response.Clear(); // clears headers too: Retry-After goes on afterwards
            if (retryAfter) http.Response.Headers.RetryAfter = "5";
            await problem.ExecuteAsync(http).ConfigureAwait(false);
        }
    }
}
