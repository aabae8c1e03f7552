using System.Buffers;
using System.Text;
using System.Text.Json;

namespace TinySync.Server.Streaming;

/// <summary>
/// The wire of <c>/v1/stream</c> (docs/protocol.md#stream, docs/decisions/0351–0355). Client → server, text frames only:
/// <c>{"subscribe": ["&lt;vid&gt;", ...]}</c>, nothing else. Server → client:
/// <c>{"subscribed": [...], "denied": [...]}</c> once per subscribe message, <c>{"vault": "&lt;vid&gt;", "head": N}</c>
/// hints, and <c>{"denied": [...]}</c> when access to subscribed vaults is lost.
/// </summary>
internal static class StreamProtocol
{
    static readonly JsonReaderOptions ReaderOptions = new()
    {
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = 4,
    };

    static readonly byte[] HintPrefix = "{\"vault\":\""u8.ToArray();
    static readonly byte[] HintMiddle = "\",\"head\":"u8.ToArray();

    /// <summary>Longest hint frame: prefix, a 36-char id, the middle, a 20-digit number, the brace.</summary>
    public const int MaxHintBytes = 10 + 36 + 9 + 20 + 1;

    /// <summary>
    /// Parses a subscribe message. Ids are returned as sent; which are well-formed is decided later, so a malformed
    /// id is denied like an unknown one. Returns an error (for the close reason) when the message has another shape.
    /// </summary>
    public static string? TryParseSubscribe(ReadOnlySpan<byte> utf8, out List<string> ids)
    {
        ids = [];
        try
        {
            var reader = new Utf8JsonReader(utf8, ReaderOptions);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return "expected a JSON object";
            var seen = false;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                // property name
                if (!reader.ValueTextEquals("subscribe"u8)) return $"unknown field '{Clip(reader.GetString())}'";
                if (seen) return "field 'subscribe' appears twice";
                seen = true;
                if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray) return "'subscribe' must be an array of vault ids";
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (reader.TokenType != JsonTokenType.String) return "'subscribe' must contain only strings";
                    ids.Add(reader.GetString()!);
                }
            }
            if (!seen) return "expected {\"subscribe\": [vault ids]}";
            if (reader.Read()) return "unexpected data after the JSON object";
            return null;
        }
        catch (JsonException)
        {
            return "not valid JSON";
        }
        catch (InvalidOperationException)
        {
            return "not valid UTF-8 text";
        }
    }

    /// <summary>A well-formed vault id (the same rule as the HTTP routes: a hyphenated UUID).</summary>
    public static bool TryParseId(string raw, out Guid id) => Guid.TryParseExact(raw, "D", out id);

    /// <summary><c>{"subscribed": [...], "denied": [...]}</c>; denied ids are echoed exactly as sent.</summary>
    public static byte[] Subscribed(IReadOnlyList<Guid> subscribed, IReadOnlyList<string> denied)
    {
        var buffer = new ArrayBufferWriter<byte>(64 + (subscribed.Count + denied.Count) * 40);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartArray("subscribed"u8);
            foreach (var id in subscribed) w.WriteStringValue(id);
            w.WriteEndArray();
            w.WriteStartArray("denied"u8);
            foreach (var raw in denied) w.WriteStringValue(raw);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary><c>{"denied": [...]}</c>: the server dropped these subscriptions (access lost).</summary>
    public static byte[] Denied(IReadOnlyCollection<Guid> denied)
    {
        var buffer = new ArrayBufferWriter<byte>(32 + denied.Count * 40);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartArray("denied"u8);
            foreach (var id in denied) w.WriteStringValue(id);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes <c>{"vault":"&lt;vid&gt;","head":N}</c> into <paramref name="into"/> without allocating.</summary>
    public static int WriteHint(Span<byte> into, Guid vault, long head)
    {
        var n = 0;
        HintPrefix.CopyTo(into);
        n += HintPrefix.Length;
        vault.TryFormat(into[n..], out var written, "D");
        n += written;
        HintMiddle.CopyTo(into[n..]);
        n += HintMiddle.Length;
        head.TryFormat(into[n..], out written, default, System.Globalization.CultureInfo.InvariantCulture);
        n += written;
        into[n++] = (byte)'}';
        return n;
    }

    /// <summary>A close reason fits in 123 UTF-8 bytes (RFC 6455 §5.5); clip on a character boundary.</summary>
    public static string CloseReason(string reason)
    {
        if (Encoding.UTF8.GetByteCount(reason) <= 123) return reason;
        var s = reason;
        while (Encoding.UTF8.GetByteCount(s) > 120) s = s[..^1];
        return s + "…";
    }

    static string Clip(string? s) => s is null ? "" : s.Length <= 40 ? s : s[..40] + "…";
}
