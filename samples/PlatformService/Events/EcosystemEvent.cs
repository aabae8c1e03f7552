using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace PlatformService.Events;

/// <summary>
/// An event from the ecosystem (<c>POST /events</c>) or one the playground records for itself
/// (<c>workspace.created</c>, <c>drive.setup</c>). The id makes delivery idempotent: an id seen before is not applied again.
/// </summary>
public sealed record EcosystemEvent(string Id, string Type, string? UserId = null, string? WorkspaceId = null, Guid? VaultId = null,
    string? Name = null, Guid? DeviceId = null)
{
#pragma warning disable CS1591 // the event types, docs/platform-service.md
    public const string UserJoinedWorkspace = "user.joined_workspace";
    public const string UserLeftWorkspace = "user.left_workspace";
    public const string WorkspaceVaultAdded = "workspace.vault_added";
    public const string WorkspaceVaultRemoved = "workspace.vault_removed";
    public const string UserDeleted = "user.deleted";
    public const string DeviceRevokedByAdmin = "device.revoked_by_admin";
    public const string WorkspaceCreated = "workspace.created";
    public const string DriveSetUp = "drive.setup";
#pragma warning restore CS1591

    /// <summary>The types the ecosystem may send, with the fields each requires.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Required = new Dictionary<string, string[]>
    {
        [UserJoinedWorkspace] = ["user_id", "workspace_id"],
        [UserLeftWorkspace] = ["user_id", "workspace_id"],
        [WorkspaceVaultAdded] = ["workspace_id"],
        [WorkspaceVaultRemoved] = ["workspace_id", "vault_id"],
        [UserDeleted] = ["user_id"],
        [DeviceRevokedByAdmin] = ["device_id"],
    };

    /// <summary>Reads an ecosystem event; the error says which field is wrong and what is expected.</summary>
    public static bool TryParse(JsonElement json, [NotNullWhen(true)] out EcosystemEvent? ev, [NotNullWhen(false)] out string? error)
    {
        ev = null;
        if (json.ValueKind != JsonValueKind.Object) { error = "an event is a JSON object {\"id\", \"type\", ...}"; return false; }
        if (!TryString(json, "id", 128, out var id, out error)) return false;
        if (id is null) { error = "missing field 'id': every event needs a unique id (delivery is deduplicated on it)"; return false; }
        if (!TryString(json, "type", 64, out var type, out error)) return false;
        if (type is null || !Required.TryGetValue(type, out var required))
        {
            error = $"'type' must be one of {string.Join(", ", Required.Keys)}";
            return false;
        }
        foreach (var field in required)
        {
            if (!json.TryGetProperty(field, out var p) || p.ValueKind == JsonValueKind.Null)
            {
                error = $"{type} needs '{field}'";
                return false;
            }
        }
        if (!TryString(json, "user_id", 64, out var userId, out error)) return false;
        if (!TryString(json, "workspace_id", 64, out var workspaceId, out error)) return false;
        if (!TryString(json, "name", 200, out var name, out error)) return false;
        if (!TryGuid(json, "vault_id", out var vaultId, out error)) return false;
        if (!TryGuid(json, "device_id", out var deviceId, out error)) return false;
        ev = new EcosystemEvent(id, type, userId, workspaceId, vaultId, name, deviceId);
        return true;
    }

    static bool TryString(JsonElement json, string field, int max, out string? value, [NotNullWhen(false)] out string? error)
    {
        value = null;
        error = null;
        if (!json.TryGetProperty(field, out var p) || p.ValueKind == JsonValueKind.Null) return true;
        if (p.ValueKind != JsonValueKind.String) { error = $"'{field}' must be a string"; return false; }
        value = p.GetString()!;
        if (value.Length == 0 || value.Length > max || value.Any(char.IsControl))
        {
            error = $"'{field}' must be 1–{max} characters without control characters";
            return false;
        }
        return true;
    }

    static bool TryGuid(JsonElement json, string field, out Guid? value, [NotNullWhen(false)] out string? error)
    {
        value = null;
        error = null;
        if (!json.TryGetProperty(field, out var p) || p.ValueKind == JsonValueKind.Null) return true;
        if (p.ValueKind != JsonValueKind.String || !Guid.TryParseExact(p.GetString(), "D", out var g))
        {
            error = $"'{field}' must be a hyphenated UUID";
            return false;
        }
        value = g;
        return true;
    }
}
