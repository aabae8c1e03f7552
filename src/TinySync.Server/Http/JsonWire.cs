using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using TinySync.Core.Contracts;

namespace TinySync.Server.Http;

/// <summary>
/// 200 answers of hot routes (<c>GET /v1/me</c>, decision 0216): the body is serialized synchronously with
/// source-generated metadata into one buffer and written with its Content-Length in one write, instead of being
/// streamed with chunked framing (an extra write and an extra send per request). The bytes are those
/// <c>TypedResults.Ok</c> writes: the same snake_case names in the same order, nulls written, and the same string
/// escaping, because the writer takes the encoder of the app's JSON options.
/// </summary>
internal static class JsonWire
{
    public static IResult Ok<T>(T value, JsonTypeInfo<T> typeInfo) => new OkJson<T>(value, typeInfo);

    sealed class OkJson<T>(T value, JsonTypeInfo<T> typeInfo) : IResult, IStatusCodeHttpResult, IValueHttpResult, IValueHttpResult<T>
    {
        public int? StatusCode => StatusCodes.Status200OK;

        object? IValueHttpResult.Value => value;

        public T? Value => value;

        public Task ExecuteAsync(HttpContext http)
        {
            var encoder = http.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions.Encoder;
            var buffer = new ArrayBufferWriter<byte>(2048);
            using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = encoder, SkipValidation = true }))
                JsonSerializer.Serialize(writer, value, typeInfo);
            var response = http.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/json; charset=utf-8";
            response.ContentLength = buffer.WrittenCount;
            return response.BodyWriter.WriteAsync(buffer.WrittenMemory, http.RequestAborted).AsTask();
        }
    }
}

/// <summary>Source-generated serialization of the wire shapes answered through <see cref="JsonWire"/>.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    GenerationMode = JsonSourceGenerationMode.Serialization)]
[JsonSerializable(typeof(MeView))]
internal sealed partial class WireJson : JsonSerializerContext;
