using System.Security.Cryptography;
using System.Text;
using TinySync.Core.Identity;

namespace TinySync.Server.Hosting;

/// <summary>
/// The management credential. Configured with <c>TINYSYNC_ADMIN_TOKEN</c>, or generated on first start into
/// <c>{data dir}/admin-token</c> (mode 0600). Only its hash is kept in memory for comparison.
/// </summary>
public sealed class AdminToken
{
    /// <summary>Prefix of generated admin tokens, so they are recognizable in a leak scan.</summary>
    public const string Prefix = "tsadm_";

    /// <summary>File name inside the data directory.</summary>
    public const string FileName = "admin-token";

    readonly byte[] _hash;

    AdminToken(string token, string? file)
    {
        _hash = SHA256.HashData(Encoding.UTF8.GetBytes(token));
        FilePath = file;
    }

    /// <summary>Where the generated token lives; null when it came from the environment.</summary>
    public string? FilePath { get; }

    /// <summary>Constant-time check of a presented token.</summary>
    public bool Matches(string presented) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), _hash);

    /// <summary>Uses the configured token, or reads/generates the one in the data directory.</summary>
    public static AdminToken Load(TinySyncOptions options)
    {
        // its length was checked with the other settings (TinySyncOptionsValidator)
        if (options.AdminToken is { } configured) return new AdminToken(configured, null);
        var path = Path.GetFullPath(Path.Combine(options.DataDir, FileName));
        if (File.Exists(path))
        {
            var existing = File.ReadAllText(path).Trim();
            if (existing.Length < 16) throw new InvalidOperationException($"the admin token file {path} is empty or damaged; delete it to generate a new one");
            return new AdminToken(existing, path);
        }
        var token = Prefix + Base64Url.Encode(RandomNumberGenerator.GetBytes(32));
        var tmp = path + ".tmp";
        var fso = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) fso.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var f = new FileStream(tmp, fso))
        {
            f.Write(Encoding.UTF8.GetBytes(token + "\n"));
            f.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: false);
        return new AdminToken(token, path);
    }
}
