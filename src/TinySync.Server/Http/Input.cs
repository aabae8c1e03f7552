using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using TinySync.Core.Contracts;

namespace TinySync.Server.Http;

/// <summary>Validation of route and query values, each failure a problem that says what is expected.</summary>
internal static class Input
{
    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 1000;

    public static bool TryId(string value, string what, out Guid id, [NotNullWhen(false)] out IResult? problem)
    {
        if (Guid.TryParseExact(value, "D", out id))
        {
            problem = null;
            return true;
        }
        problem = Problems.InvalidId(what, value);
        return false;
    }

    public static bool TryLimit(string? value, out int limit, [NotNullWhen(false)] out IResult? problem, int max = MaxPageSize)
    {
        problem = null;
        limit = DefaultPageSize;
        if (value is null) { limit = Math.Min(DefaultPageSize, max); return true; }
        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out limit) && limit >= 1 && limit <= max) return true;
        problem = Problems.BadRequest(ProblemCodes.InvalidArgument, $"limit must be an integer from 1 to {max}");
        return false;
    }

    public static bool TryNonNegative(string? value, string name, out long number, [NotNullWhen(false)] out IResult? problem)
    {
        problem = null;
        number = 0;
        if (value is null) return true;
        if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out number)) return true;
        problem = Problems.BadRequest(ProblemCodes.InvalidArgument, $"{name} must be a non-negative integer");
        return false;
    }

    /// <summary>A display text: 1..max characters, no control characters.</summary>
    public static bool TryText(string? value, string field, int max, [NotNullWhen(false)] out IResult? problem, bool optional = false)
    {
        problem = null;
        if (value is null && optional) return true;
        if (string.IsNullOrWhiteSpace(value))
            problem = Problems.BadRequest(ProblemCodes.InvalidArgument, $"{field} must not be empty");
        else if (value.Length > max)
            problem = Problems.BadRequest(ProblemCodes.InvalidArgument, $"{field} is longer than {max} characters");
        else if (value.Any(char.IsControl))
            problem = Problems.BadRequest(ProblemCodes.InvalidArgument, $"{field} contains a control character");
        return problem is null;
    }
}
