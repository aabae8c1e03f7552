using System.Text.Json;
using System.Text.Json.Serialization;

namespace TinySync.Core.Json;

/// <summary>The one JSON dialect of the wire: snake_case, strict about unknown fields, no comments or trailing commas.</summary>
public static class TinySyncJson
{
    /// <summary>Options used by the server, the client and the management library alike.</summary>
    public static JsonSerializerOptions Options { get; } = Create();

    static JsonSerializerOptions Create()
    {
        var o = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            DictionaryKeyPolicy = null,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            // Web defaults match names case-insensitively, so "Name" or "NAME" would pass as "name" and a duplicate
            // key would silently overwrite the first: both hide a caller's bug behind a 2xx.
            PropertyNameCaseInsensitive = false,
            AllowDuplicateProperties = false,
            NumberHandling = JsonNumberHandling.Strict,
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
            RespectNullableAnnotations = true,
            RespectRequiredConstructorParameters = true,
            AllowTrailingCommas = false,
            ReadCommentHandling = JsonCommentHandling.Disallow,
            MaxDepth = 32,
        };
        o.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false));
        o.MakeReadOnly(populateMissingResolver: true);
        return o;
    }
}
