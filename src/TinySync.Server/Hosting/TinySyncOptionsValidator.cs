using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Options;

namespace TinySync.Server.Hosting;

/// <summary>
/// Reads and checks the <c>TinySync</c> section. Every message names the setting by its key and its alias and says
/// what a valid value looks like; a secret is never echoed. Registered with <c>ValidateOnStart</c>, and also run before
/// the host is built, because the data directory and the database are needed to build it.
/// </summary>
public sealed class TinySyncOptionsValidator : IValidateOptions<TinySyncOptions>
{
    /// <summary>Binds the section and validates it; throws <see cref="InvalidOperationException"/> with one line.</summary>
    public static TinySyncOptions Load(IConfiguration config)
    {
        var section = config.GetSection(TinySyncOptions.Section);
        var problems = new List<string>();
        CheckRaw(section, typeof(TinySyncOptions), "", problems);
        if (problems.Count > 0) throw new InvalidOperationException(string.Join("; ", problems));
        var options = new TinySyncOptions();
        section.Bind(options);
        options.NormalizeEmpty();
        var result = new TinySyncOptionsValidator().Validate(null, options);
        if (result.Failed) throw new InvalidOperationException(result.FailureMessage);
        return options;
    }

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, TinySyncOptions options)
    {
        var failures = new List<string>();
        void Check(bool ok, string key, string rule)
        {
            if (!ok) failures.Add($"{SettingAliases.Describe(key)} {rule}");
        }
        Check(!string.IsNullOrWhiteSpace(options.DataDir), "DataDir", "must name a directory");
        // the length only: the value is a secret and never appears in a message
        Check(string.IsNullOrWhiteSpace(options.AdminToken) || options.AdminToken.Length >= 16, "AdminToken", "is shorter than 16 characters; use a long random value");
        Check(options.DatabaseWaitSeconds is >= 0 and <= 86_400, "DatabaseWaitSeconds", $"must be between 0 and 86400 seconds (got {Show(options.DatabaseWaitSeconds)})");
        Check(options.MaxJsonBodyBytes >= 1024, "MaxJsonBodyBytes", $"must be at least 1024 bytes (got {Show(options.MaxJsonBodyBytes)})");
        Check(options.HistoryRetentionDays is >= 0 and <= 36_500, "HistoryRetentionDays", $"must be a non-negative number of days (got {Show(options.HistoryRetentionDays)})");
        Check(options.GcIntervalMinutes is >= 0 and <= 525_600, "GcIntervalMinutes", $"must be a non-negative number of minutes, 0 to disable (got {Show(options.GcIntervalMinutes)})");
        Check(options.RequestBodyTimeoutSeconds is > 0 and <= 86_400, "RequestBodyTimeoutSeconds", $"must be a positive number of seconds (got {Show(options.RequestBodyTimeoutSeconds)})");
        foreach (var (key, value) in new[] { ("RegistrationsPerMinute", options.RegistrationsPerMinute), ("AuthFailuresPerAddressPerMinute", options.AuthFailuresPerAddressPerMinute), ("AuthFailuresPerDevicePerMinute", options.AuthFailuresPerDevicePerMinute) })
            Check(value >= 1, key, $"must be a whole number of requests per minute, 1 or more (got {value})");
        var s = options.Stream;
        foreach (var (key, value) in new[] { ("Stream:SendTimeoutSeconds", s.SendTimeoutSeconds), ("Stream:KeepAliveSeconds", s.KeepAliveSeconds), ("Stream:RecheckSeconds", s.RecheckSeconds) })
            Check(value is null or > 0 and <= 86_400, key, $"must be a number of seconds between 0 and 86400 (got {Show(value ?? 0)})");
        Check(s.MaxSubscriptions is null or >= 1, "Stream:MaxSubscriptions", $"must be a positive whole number (got {Show(s.MaxSubscriptions ?? 0)})");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    static string Show(double value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Checks what binding would otherwise report as a type conversion failure, with the setting's name and the
    /// expected form, and rejects keys that are not settings (a typo would otherwise be ignored silently).
    /// </summary>
    static void CheckRaw(IConfigurationSection section, Type type, string prefix, List<string> problems)
    {
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite)
            .ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        foreach (var child in section.GetChildren())
        {
            var key = prefix + child.Key;
            if (!properties.TryGetValue(child.Key, out var property))
            {
                problems.Add($"{TinySyncOptions.Section}:{key} is not a setting; the settings are listed by `tinysync-server --help`");
                continue;
            }
            var target = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (target == typeof(StreamSettings))
            {
                CheckRaw(child, target, key + ":", problems);
                continue;
            }
            if (child.Value is not { Length: > 0 } text || target == typeof(string)) continue;
            var ok = target == typeof(bool) ? bool.TryParse(text.Trim(), out _)
                : target == typeof(double) ? double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)
                : target == typeof(long) ? long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)
                : target != typeof(int) || int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _);
            if (ok) continue;
            var form = target == typeof(bool) ? "true or false" : target == typeof(double) ? "a number" : "a whole number";
            problems.Add($"{SettingAliases.Describe(key)} must be {form} (got '{text}')");
        }
    }
}
