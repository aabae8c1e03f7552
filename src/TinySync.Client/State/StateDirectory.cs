using System.Text.Json;
using System.Text.Json.Serialization;
using TinySync.Core.Identity;

namespace TinySync.Client.State;

/// <summary>The identity this client acts as (<c>identity.json</c>, mode 0600).</summary>
public sealed record ClientIdentity
{
    /// <summary>Base URL of the server.</summary>
    public required string Server { get; init; }
    /// <summary>This device's id.</summary>
    public required Guid DeviceId { get; init; }
    /// <summary>The device token (secret).</summary>
    public required string Token { get; init; }
    /// <summary>Display name (used in conflict file names).</summary>
    public required string DisplayName { get; init; }

    /// <summary>The loggable form of the token.</summary>
    public string RedactedToken => DeviceToken.Redact(DeviceId);

    /// <inheritdoc/>
    public override string ToString() => $"{DisplayName} ({DeviceId}) at {Server}, token {RedactedToken}";
}

/// <summary>One linked folder.</summary>
public sealed record Link
{
    /// <summary>Local id of the link (names its index directory).</summary>
    public required Guid LinkId { get; init; }
    /// <summary>The vault.</summary>
    public required Guid VaultId { get; init; }
    /// <summary>Vault name as seen when linking (display only).</summary>
    public string? VaultName { get; init; }
    /// <summary>The container.</summary>
    public string Container { get; init; } = "default";
    /// <summary>Absolute path of the local folder.</summary>
    public required string Directory { get; init; }
}

/// <summary>
/// The client's state directory: <c>identity.json</c>, <c>links.json</c> and one <c>links/&lt;id&gt;/index.db</c> per
/// link. Chosen by <c>--home</c>, else <c>TINYSYNC_HOME</c>, else <c>$XDG_STATE_HOME/tinysync</c>, else
/// <c>~/.local/state/tinysync</c>.
/// </summary>
public sealed class StateDirectory
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Opens (without creating) the state directory at <paramref name="path"/>.</summary>
    public StateDirectory(string path) => Root = Path.GetFullPath(path);

    /// <summary>Absolute path of the state directory.</summary>
    public string Root { get; }

    /// <summary>Path of identity.json.</summary>
    public string IdentityPath => Path.Combine(Root, "identity.json");

    /// <summary>Path of links.json.</summary>
    public string LinksPath => Path.Combine(Root, "links.json");

    /// <summary>Resolves the state directory from an explicit option and the environment.</summary>
    public static StateDirectory Resolve(string? home, Func<string, string?>? env = null)
    {
        env ??= Environment.GetEnvironmentVariable;
        if (!string.IsNullOrWhiteSpace(home)) return new StateDirectory(home);
        if (env("TINYSYNC_HOME") is { Length: > 0 } h) return new StateDirectory(h);
        if (env("XDG_STATE_HOME") is { Length: > 0 } x) return new StateDirectory(Path.Combine(x, "tinysync"));
        var userHome = env("HOME") is { Length: > 0 } uh ? uh : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return new StateDirectory(Path.Combine(userHome, ".local", "state", "tinysync"));
    }

    /// <summary>Creates the directory (0700) and checks it is writable.</summary>
    public void EnsureWritable()
    {
        try
        {
            if (!Directory.Exists(Root))
            {
                if (OperatingSystem.IsWindows()) Directory.CreateDirectory(Root);
                else Directory.CreateDirectory(Root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
            var probe = Path.Combine(Root, ".write-probe-" + Environment.ProcessId);
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ClientException("state_not_writable",
                $"the state directory {Root} is not writable ({e.GetType().Name.Replace("Exception", "", StringComparison.Ordinal)}); fix its permissions or choose another with --home or TINYSYNC_HOME", e);
        }
    }

    /// <summary>The saved identity, or null when this client is not registered.</summary>
    public ClientIdentity? LoadIdentity()
    {
        if (!File.Exists(IdentityPath)) return null;
        try
        {
            return JsonSerializer.Deserialize<ClientIdentity>(File.ReadAllText(IdentityPath), Json);
        }
        catch (JsonException e)
        {
            throw new ClientException("identity_corrupt", $"{IdentityPath} is not valid JSON; run `tinysync login` or `tinysync register` again", e);
        }
    }

    /// <summary>The saved identity, or a <see cref="ClientException"/> telling the user to register.</summary>
    public ClientIdentity RequireIdentity() => LoadIdentity()
        ?? throw new ClientException("not_registered", "this client has no device identity; run `tinysync register --server URL --name NAME` or `tinysync login --server URL --token TOKEN`");

    /// <summary>Writes identity.json atomically with mode 0600.</summary>
    public void SaveIdentity(ClientIdentity identity)
    {
        EnsureWritable();
        AtomicFile.WriteAllText(IdentityPath, JsonSerializer.Serialize(identity, Json), Private);
    }

    /// <summary>Forgets the identity (the links stay, their indexes are reset on the next login).</summary>
    public void DeleteIdentity()
    {
        if (File.Exists(IdentityPath)) File.Delete(IdentityPath);
    }

    /// <summary>The links.</summary>
    public IReadOnlyList<Link> LoadLinks()
    {
        if (!File.Exists(LinksPath)) return [];
        return JsonSerializer.Deserialize<List<Link>>(File.ReadAllText(LinksPath), Json) ?? [];
    }

    /// <summary>Writes links.json atomically.</summary>
    public void SaveLinks(IReadOnlyList<Link> links)
    {
        EnsureWritable();
        AtomicFile.WriteAllText(LinksPath, JsonSerializer.Serialize(links, Json), Private);
    }

    /// <summary>The directory holding a link's index.</summary>
    public string LinkStateDirectory(Link link) => Path.Combine(Root, "links", link.LinkId.ToString("N"));

    /// <summary>
    /// Adds a link, refusing a folder that is already linked, lies inside a linked folder, contains one, or contains
    /// the state directory.
    /// </summary>
    public Link AddLink(Guid vaultId, string? vaultName, string container, string directory)
    {
        var dir = Normalize(directory);
        var links = LoadLinks().ToList();
        foreach (var l in links)
        {
            var other = Normalize(l.Directory);
            if (string.Equals(other, dir, StringComparison.Ordinal))
                throw new ClientException("already_linked", $"{dir} is already linked to vault {l.VaultId}; run `tinysync unlink {dir}` first");
            if (IsUnder(dir, other))
                throw new ClientException("inside_link", $"{dir} lies inside the linked folder {other}; choose a folder outside every link");
            if (IsUnder(other, dir))
                throw new ClientException("contains_link", $"{dir} contains the linked folder {other}; unlink it first or choose another folder");
        }
        if (IsUnder(Root, dir) || string.Equals(Root, dir, StringComparison.Ordinal))
            throw new ClientException("contains_state", $"{dir} contains the state directory {Root}; choose another folder or move the state with --home");
        var link = new Link { LinkId = Guid.NewGuid(), VaultId = vaultId, VaultName = vaultName, Container = container, Directory = dir };
        links.Add(link);
        SaveLinks(links);
        return link;
    }

    /// <summary>Removes the link of a folder and its index; the folder's files stay.</summary>
    public Link RemoveLink(string directory)
    {
        var link = FindLink(directory);
        var links = LoadLinks().ToList();
        links.RemoveAll(l => l.LinkId == link.LinkId);
        SaveLinks(links);
        var stateDir = LinkStateDirectory(link);
        if (Directory.Exists(stateDir)) Directory.Delete(stateDir, recursive: true);
        return link;
    }

    /// <summary>The link of a folder, or a <see cref="ClientException"/> naming the command that lists them.</summary>
    public Link FindLink(string directory)
    {
        var dir = Normalize(directory);
        return LoadLinks().FirstOrDefault(l => string.Equals(Normalize(l.Directory), dir, StringComparison.Ordinal))
            ?? throw new ClientException("not_linked", $"{dir} is not linked; `tinysync status` lists the links");
    }

    /// <summary>Absolute path without a trailing separator.</summary>
    public static string Normalize(string path) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));

    static bool IsUnder(string path, string ancestor) =>
        path.StartsWith(ancestor + Path.DirectorySeparatorChar, StringComparison.Ordinal);
}
