namespace TinySync.Core.Identity;

/// <summary>Group ids are opaque strings chosen by the Platform Service: 1–128 chars of <c>[A-Za-z0-9._:-]</c>.</summary>
public static class GroupId
{
    /// <summary>Maximum length of a group id.</summary>
    public const int MaxLength = 128;

    /// <summary>True when <paramref name="value"/> is a valid group id.</summary>
    public static bool IsValid(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > MaxLength) return false;
        foreach (var c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or ':' or '-')) return false;
        }
        return true;
    }
}
