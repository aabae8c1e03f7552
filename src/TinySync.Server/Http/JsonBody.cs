using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Features;
using TinySync.Core.Contracts;
using TinySync.Core.Json;

namespace TinySync.Server.Http;

/// <summary>
/// Reads a JSON body strictly (unknown fields, wrong types, missing required fields are errors) and turns every
/// failure into a problem that names the field, never a type name or a stack trace.
/// </summary>
internal static partial class JsonBody
{
    public static async Task<(T? Value, IResult? Problem)> ReadAsync<T>(HttpContext http, CancellationToken ct, long? maxBytes = null)
        where T : class
    {
        if (maxBytes is { } max && http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = max;
        if (!http.Request.HasJsonContentType())
            return (null, Problems.Of(StatusCodes.Status415UnsupportedMediaType, ProblemCodes.UnsupportedMediaType,
                "send the body as application/json"));
        try
        {
            var value = await JsonSerializer.DeserializeAsync<T>(http.Request.Body, TinySyncJson.Options, ct).ConfigureAwait(false);
            return value is null
                ? (null, Problems.BadRequest(ProblemCodes.InvalidJson, "the body is JSON null; send an object"))
                : (value, null);
        }
        catch (JsonException e)
        {
            return (null, Problems.BadRequest(ProblemCodes.InvalidJson, Describe(e)));
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge(http));
        }
    }

    public static IResult TooLarge(HttpContext http)
    {
        var limit = http.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;
        return Problems.Of(StatusCodes.Status413PayloadTooLarge, ProblemCodes.BodyTooLarge,
            limit is { } l ? $"the body is larger than {l} bytes; split the request" : "the body is too large; split the request");
    }

    [GeneratedRegex("missing required properties including: (?<names>.*)\\.?$")]
    private static partial Regex MissingRequired();

    [GeneratedRegex("The JSON property '(?<name>[^']*)' could not be mapped")]
    private static partial Regex UnknownField();

    [GeneratedRegex("Duplicate property '(?<name>[^']*)'")]
    private static partial Regex DuplicateField();

    static string Describe(JsonException e)
    {
        var where = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "" : $" at {e.Path}";
        var message = e.Message;
        if (UnknownField().Match(message) is { Success: true } u)
            return $"unknown field '{Problems.Truncate(u.Groups["name"].Value)}'{where}";
        if (DuplicateField().Match(message) is { Success: true } dup)
            return $"field '{Problems.Truncate(dup.Groups["name"].Value)}' appears more than once{where}";
        if (MissingRequired().Match(message) is { Success: true } m)
            return $"missing required field(s): {m.Groups["names"].Value.TrimEnd('.')}";
        if (message.Contains("null", StringComparison.OrdinalIgnoreCase) && message.Contains("doesn't allow", StringComparison.Ordinal))
            return $"a field may not be null{where}";
        if (e.LineNumber is not null && message.Contains("invalid", StringComparison.OrdinalIgnoreCase) && !message.Contains("could not be converted", StringComparison.Ordinal))
            return $"malformed JSON{where} (line {e.LineNumber + 1}, byte {e.BytePositionInLine})";
        return $"a value has the wrong type or format{where}";
    }
}
