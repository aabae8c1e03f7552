using System.Text;
using System.Text.Json;
using TinySync.Core.Contracts;

namespace TinySync.Testing;

/// <summary>Helpers for reading problem details.</summary>
public static class ProblemAssertions
{
    public static async Task<Problem> ShouldBeProblemAsync(this HttpResponseMessage response, int status, string code)
    {
        var text = await response.Content.ReadAsStringAsync();
        ((int)response.StatusCode).ShouldBe(status, text);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json", text);
        var problem = JsonSerializer.Deserialize<Problem>(text, new JsonSerializerOptions(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower })!;
        problem.Code.ShouldBe(code, text);
        problem.Detail.ShouldNotBeNullOrWhiteSpace();
        text.ShouldNotContain("   at ", Case.Sensitive, "a stack trace leaked");
        return problem;
    }

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}
