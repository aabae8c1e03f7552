using System.Text.Json;
using System.Text.RegularExpressions;

namespace PlatformService.Apis;

/// <summary>Problem details with a stable <c>code</c>, and strict-enough reading of small JSON bodies.</summary>
internal static partial class Http
{
    public static IResult Problem(int status, string code, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, type: $"https://tinysync.dev/playground/problems/{code.Replace('_', '-')}",
            extensions: new Dictionary<string, object?> { ["code"] = code });

    /// <summary>Reads the body as one JSON object; an empty body is an empty object.</summary>
    public static async Task<(JsonElement Body, IResult? Problem)> ReadObjectAsync(HttpContext http, CancellationToken ct)
    {
        try
        {
            using var ms = new MemoryStream();
            await http.Request.Body.CopyToAsync(ms, ct).ConfigureAwait(false);
            if (ms.Length > 64 * 1024) return (default, Problem(413, "body_too_large", "the body is larger than 64 KiB"));
            if (ms.Length == 0) return (JsonDocument.Parse("{}").RootElement.Clone(), null);
            using var doc = JsonDocument.Parse(ms.ToArray());
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                return (default, Problem(400, "invalid_json", "the body must be a JSON object"));
            return (doc.RootElement.Clone(), null);
        }
        catch (JsonException e)
        {
            return (default, Problem(400, "invalid_json", $"the body is not valid JSON: {e.Message}"));
        }
    }

    public static string? String(JsonElement body, string field) =>
        body.TryGetProperty(field, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    public static partial Regex CatalogId();
}
