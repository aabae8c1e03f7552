using Microsoft.AspNetCore.Mvc;
using TinySync.Core.Contracts;

namespace TinySync.Server.Http;

/// <summary>RFC 9457 problem details with TinySync's stable <c>code</c>. Details say what to do next.</summary>
internal static class Problems
{
    public static IResult Of(int status, string code, string detail, string? title = null) =>
        TypedResults.Problem(new ProblemDetails
        {
            Status = status,
            Title = title ?? TitleFor(status),
            Detail = detail,
            Type = $"https://tinysync.dev/problems/{code.Replace('_', '-')}",
            Extensions = { ["code"] = code },
        });

    public static IResult BadRequest(string code, string detail) => Of(StatusCodes.Status400BadRequest, code, detail);

    public static IResult NotFound(string code, string detail) => Of(StatusCodes.Status404NotFound, code, detail);

    public static IResult Conflict(string code, string detail) => Of(StatusCodes.Status409Conflict, code, detail);

    public static IResult InvalidId(string what, string value) =>
        BadRequest(ProblemCodes.InvalidId, $"'{Truncate(value)}' is not a valid {what}: use a lowercase hyphenated UUID");

    public static IResult InvalidGroupId(string value) =>
        BadRequest(ProblemCodes.InvalidGroupId, $"'{Truncate(value)}' is not a valid group id: 1–128 characters of A–Z a–z 0–9 . _ : -");

    public static string TitleFor(int status) => status switch
    {
        400 => "Bad request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not found",
        405 => "Method not allowed",
        409 => "Conflict",
        413 => "Body too large",
        415 => "Unsupported media type",
        429 => "Too many requests",
        503 => "Service unavailable",
        _ => status >= 500 ? "Server error" : "Request failed",
    };

    /// <summary>Echoes at most 80 characters of caller input, never a whole hostile value.</summary>
    public static string Truncate(string value) => value.Length <= 80 ? value : value[..80] + "…";
}
