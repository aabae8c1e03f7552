using System.Security.Cryptography;
using System.Text.Json;
using PlatformService.Catalog;
using PlatformService.Sync;
using TinySync.Core.Contracts;
using TinySync.Core.Json;
using TinySync.Management;

namespace PlatformService.Events;

/// <summary>What became of an event.</summary>
/// <param name="EventId">The event's id.</param>
/// <param name="Status"><c>applied</c>, <c>pending</c> (TinySync unreachable: retried in the background) or <c>failed</c>.</param>
/// <param name="Duplicate">True when the id was seen before: nothing was done this time.</param>
/// <param name="Error">Why it is pending or failed.</param>
public sealed record EventOutcome(string EventId, string Status, bool Duplicate, string? Error);

/// <summary>A refused event: the status and stable code of the problem answer.</summary>
public sealed class EventRejectedException(int status, string code, string detail) : Exception(detail)
{
    /// <summary>HTTP status.</summary>
    public int Status { get; } = status;
    /// <summary>Stable problem code.</summary>
    public string Code { get; } = code;
}

/// <summary>
/// Applies events in two steps: (1) the catalog change and the event row commit in one transaction, once per event
/// id; (2) TinySync is brought in line with the catalog for the event's scope (<see cref="Provisioner"/>). If TinySync
/// cannot be reached, step 2 stays pending and <see cref="RetryPendingAsync"/> replays it later. One event at a time.
/// </summary>
public sealed class EventProcessor(Catalog.Catalog catalog, Provisioner provisioner, TinySyncManagementClient tinySync)
{
    static readonly JsonSerializerOptions BodyOptions = new(TinySyncJson.Options) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };
    readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Accepts an ecosystem event. Throws <see cref="EventRejectedException"/> for unknown users, workspaces or devices.</summary>
    public async Task<EventOutcome> AcceptAsync(EcosystemEvent ev, CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (await catalog.GetEventAsync(ev.Id, ct).ConfigureAwait(false) is { } seen)
                return new EventOutcome(seen.EventId, seen.Status, true, seen.LastError);
            ev = await ValidateAsync(ev, ct).ConfigureAwait(false);
            var inserted = await catalog.Db.WriteAsync(async (c, tx) =>
            {
                if (!await Catalog.Catalog.TryInsertEventAsync(c, tx, ev.Id, ev.Type, Body(ev)).ConfigureAwait(false)) return false;
                switch (ev.Type)
                {
                    case EcosystemEvent.UserJoinedWorkspace:
                        await Catalog.Catalog.AddMembershipAsync(c, tx, ev.UserId!, ev.WorkspaceId!).ConfigureAwait(false);
                        break;
                    case EcosystemEvent.UserLeftWorkspace:
                        await Catalog.Catalog.RemoveMembershipAsync(c, tx, ev.UserId!, ev.WorkspaceId!).ConfigureAwait(false);
                        break;
                    case EcosystemEvent.WorkspaceVaultAdded:
                        await Catalog.Catalog.AddVaultAsync(c, tx, ev.WorkspaceId!, ev.VaultId!.Value, ev.Name ?? "").ConfigureAwait(false);
                        break;
                    case EcosystemEvent.WorkspaceVaultRemoved:
                        await Catalog.Catalog.RemoveVaultAsync(c, tx, ev.WorkspaceId!, ev.VaultId!.Value).ConfigureAwait(false);
                        break;
                    case EcosystemEvent.UserDeleted:
                        await Catalog.Catalog.RevokeDevicesOfUserAsync(c, tx, ev.UserId!, "user deleted").ConfigureAwait(false);
                        await Catalog.Catalog.DeleteUserAsync(c, tx, ev.UserId!).ConfigureAwait(false);
                        break;
                    case EcosystemEvent.DeviceRevokedByAdmin:
                        await Catalog.Catalog.MarkDeviceRevokedAsync(c, tx, ev.DeviceId!.Value.ToString("D"), "revoked by an ecosystem admin").ConfigureAwait(false);
                        break;
                }
                return true;
            }, ct).ConfigureAwait(false);
            if (!inserted) return new EventOutcome(ev.Id, EventStatus.Pending, true, null);
            return await ApplyAsync(ev, ct).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    async Task<EcosystemEvent> ValidateAsync(EcosystemEvent ev, CancellationToken ct)
    {
        if (ev.UserId is { } uid)
        {
            var user = await catalog.GetUserAsync(uid, ct).ConfigureAwait(false)
                       ?? throw new EventRejectedException(404, "unknown_user", $"no user '{uid}' in the catalog; create it first (POST /admin/users)");
            if (user.DeletedAt is not null && ev.Type != EcosystemEvent.UserDeleted)
                throw new EventRejectedException(409, "user_deleted", $"user '{uid}' was deleted at {user.DeletedAt}");
        }
        if (ev.WorkspaceId is { } wid && await catalog.GetWorkspaceAsync(wid, ct).ConfigureAwait(false) is null)
            throw new EventRejectedException(404, "unknown_workspace", $"no workspace '{wid}' in the catalog; create it first (POST /admin/workspaces)");
        if (ev.DeviceId is { } did && await catalog.GetDeviceAsync(did.ToString("D"), ct).ConfigureAwait(false) is null)
            throw new EventRejectedException(404, "unknown_device", $"no device {did} in the catalog; only devices set up through this service can be revoked here");
        // The vault id is fixed before the event is stored, so every replay creates the same vault (PUT is idempotent).
        if (ev.Type == EcosystemEvent.WorkspaceVaultAdded && ev.VaultId is null) ev = ev with { VaultId = Guid.CreateVersion7() };
        if (ev.Name is { } name) ev = ev with { Name = tinySync.Redact(name) };
        return ev;
    }

    /// <summary>Creates a workspace: catalog rows (workspace, group id, first vault) and its TinySync group and vault.</summary>
    public async Task<(EventOutcome Outcome, WorkspaceRow? Workspace)> CreateWorkspaceAsync(string workspaceId, string name, CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var ev = new EcosystemEvent($"workspace.created:{workspaceId}", EcosystemEvent.WorkspaceCreated, WorkspaceId: workspaceId, Name: name);
            var created = await catalog.Db.WriteAsync(async (c, tx) =>
                await Catalog.Catalog.CreateWorkspaceAsync(c, tx, workspaceId, name, Provisioner.GroupOf(workspaceId), Guid.CreateVersion7(), $"{name} files").ConfigureAwait(false)
                && await Catalog.Catalog.TryInsertEventAsync(c, tx, ev.Id, ev.Type, Body(ev)).ConfigureAwait(false), ct).ConfigureAwait(false);
            if (!created) return (new EventOutcome(ev.Id, "exists", true, null), null);
            var outcome = await ApplyAsync(ev, ct).ConfigureAwait(false);
            return (outcome, await catalog.GetWorkspaceAsync(workspaceId, ct).ConfigureAwait(false));
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// The "Set up Drive" flow (seed 003) after the user is verified: register a device with the admin token, record
    /// its id (never its token) under the user, add it to the user's workspace groups, and hand the registration back,
    /// the only copy of the token. If the groups cannot be set now, that step stays pending; the token is returned anyway.
    /// </summary>
    public async Task<(DeviceRegistered Device, EventOutcome Groups)> SetUpDriveAsync(UserRow user, string displayName, CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            DeviceRegistered device;
            using (CallContext.Begin($"drive-setup {user.UserId}"))
                device = await tinySync.RegisterDeviceAsync(displayName, ct).ConfigureAwait(false);
            await catalog.AddDeviceAsync(device.DeviceId, user.UserId, device.DisplayName, device.RegisteredAt, ct).ConfigureAwait(false);
            var ev = new EcosystemEvent($"drive.setup:{device.DeviceId:D}", EcosystemEvent.DriveSetUp, UserId: user.UserId, DeviceId: device.DeviceId);
            await catalog.Db.WriteAsync((c, tx) => Catalog.Catalog.TryInsertEventAsync(c, tx, ev.Id, ev.Type, Body(ev)), ct).ConfigureAwait(false);
            return (device, await ApplyAsync(ev, ct).ConfigureAwait(false));
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Replays pending events, oldest first; stops at the first that still cannot reach TinySync.</summary>
    public async Task<int> RetryPendingAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var applied = 0;
            foreach (var row in await catalog.PendingEventsAsync(ct).ConfigureAwait(false))
            {
                var ev = JsonSerializer.Deserialize<EcosystemEvent>(row.Body, BodyOptions)!;
                var outcome = await ApplyAsync(ev, ct).ConfigureAwait(false);
                if (outcome.Status == EventStatus.Pending) break;
                applied++;
                using (CallContext.Begin($"event {ev.Id}"))
                    await provisioner.NoteAsync("info", $"pending event {ev.Id} ({ev.Type}) {outcome.Status} after {row.Attempts + 1} attempts", ct).ConfigureAwait(false);
            }
            return applied;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Runs an action (reconcile) alone, never interleaved with an event.</summary>
    public async Task<T> ExclusiveAsync<T>(Func<Task<T>> action, CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            return await action().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    async Task<EventOutcome> ApplyAsync(EcosystemEvent ev, CancellationToken ct)
    {
        using var _ = CallContext.Begin($"event {ev.Id}");
        try
        {
            switch (ev.Type)
            {
                case EcosystemEvent.UserJoinedWorkspace or EcosystemEvent.UserLeftWorkspace:
                    await provisioner.SyncMembershipAsync(ev.UserId!, ev.WorkspaceId!, ct).ConfigureAwait(false);
                    break;
                case EcosystemEvent.WorkspaceVaultAdded or EcosystemEvent.WorkspaceVaultRemoved:
                    await provisioner.SyncWorkspaceVaultAsync(ev.WorkspaceId!, ev.VaultId!.Value, ct).ConfigureAwait(false);
                    break;
                case EcosystemEvent.UserDeleted:
                    await provisioner.SyncUserDevicesAsync(ev.UserId!, ct).ConfigureAwait(false);
                    break;
                case EcosystemEvent.DeviceRevokedByAdmin or EcosystemEvent.DriveSetUp:
                    if (await catalog.GetDeviceAsync(ev.DeviceId!.Value.ToString("D"), ct).ConfigureAwait(false) is { } d)
                        await provisioner.SyncDeviceAsync(d, ct).ConfigureAwait(false);
                    break;
                case EcosystemEvent.WorkspaceCreated:
                    await provisioner.SyncWorkspaceAsync(ev.WorkspaceId!, ct).ConfigureAwait(false);
                    break;
            }
            await catalog.SetEventOutcomeAsync(ev.Id, EventStatus.Applied, null, ct).ConfigureAwait(false);
            return new EventOutcome(ev.Id, EventStatus.Applied, false, null);
        }
        catch (TinySyncApiException e) when (e.IsTransient || e is TinySyncUnauthorizedException)
        {
            // TinySync is down, overloaded or (401) the admin token is wrong: keep the event and replay it later.
            var error = tinySync.Redact(e.Message);
            await catalog.SetEventOutcomeAsync(ev.Id, EventStatus.Pending, error, ct).ConfigureAwait(false);
            await provisioner.NoteAsync("warning", $"event {ev.Id} ({ev.Type}) kept pending: {error}", ct).ConfigureAwait(false);
            return new EventOutcome(ev.Id, EventStatus.Pending, false, error);
        }
        catch (TinySyncApiException e)
        {
            var error = tinySync.Redact(e.Message);
            await catalog.SetEventOutcomeAsync(ev.Id, EventStatus.Failed, error, ct).ConfigureAwait(false);
            await provisioner.NoteAsync("error", $"event {ev.Id} ({ev.Type}) failed: {error}; run reconcile after fixing the cause", ct).ConfigureAwait(false);
            return new EventOutcome(ev.Id, EventStatus.Failed, false, error);
        }
    }

    // Stored bodies are normalized (the generated vault id included) and redacted: an event carries no token, and
    // if a sender put one in a field anyway it must not land in the catalog.
    string Body(EcosystemEvent ev) => tinySync.Redact(JsonSerializer.Serialize(ev, BodyOptions));

    /// <summary>A new playground credential for a user: shown once, stored only as its SHA-256.</summary>
    public static (string Credential, byte[] Hash) NewCredential()
    {
        var credential = "psu_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return (credential, HashCredential(credential));
    }

    /// <summary>The stored form of a user credential.</summary>
    public static byte[] HashCredential(string credential) => SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("platform-user-credential:" + credential));
}
