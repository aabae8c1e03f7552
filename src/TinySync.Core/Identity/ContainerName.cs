namespace TinySync.Core.Identity;

/// <summary>Container names: <c>[a-z0-9][a-z0-9._-]{0,63}</c>. Every vault has <see cref="Default"/>.</summary>
public static class ContainerName
{
    /// <summary>The container every vault has.</summary>
    public const string Default = "default";

    /// <summary>True when <paramref name="value"/> is a valid container name.</summary>
    public static bool IsValid(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > 64) return false;
        if (!(char.IsAsciiDigit(value[0]) || char.IsAsciiLetterLower(value[0]))) return false;
        foreach (var c in value)
        {
            if (!(char.IsAsciiDigit(c) || char.IsAsciiLetterLower(c) || c is '.' or '_' or '-')) return false;
        }
        return true;
    }
}
