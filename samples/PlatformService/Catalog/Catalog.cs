using Dapper;
using Microsoft.Data.Sqlite;

namespace PlatformService.Catalog;

/// <summary>
/// The queries of the catalog, grouped by table. Methods taking a connection and transaction run inside a caller's
/// write (an event's catalog change and its event row commit together); the others open their own.
/// </summary>
public sealed class Catalog(CatalogDb db)
{
    /// <summary>The database underneath.</summary>
    public CatalogDb Db => db;

    // ---- users ----

    /// <summary>Adds a user; false when the id is taken.</summary>
    public Task<bool> CreateUserAsync(string userId, string name, byte[] credentialHash, CancellationToken ct) =>
        db.WriteAsync(async (c, tx) => await c.ExecuteAsync(
            "INSERT INTO users (user_id, name, credential_hash, created_at) VALUES (@userId, @name, @credentialHash, @at) ON CONFLICT DO NOTHING",
            new { userId, name, credentialHash, at = CatalogDb.Now() }, tx).ConfigureAwait(false) == 1, ct);

    /// <summary>One user, deleted or not.</summary>
    public Task<UserRow?> GetUserAsync(string userId, CancellationToken ct) =>
        db.ReadAsync(c => c.QuerySingleOrDefaultAsync<UserRow>("SELECT * FROM users WHERE user_id = @userId", new { userId }), ct);

    /// <summary>All users.</summary>
    public Task<List<UserRow>> ListUsersAsync(CancellationToken ct) =>
        db.ReadAsync(async c => (await c.QueryAsync<UserRow>("SELECT * FROM users ORDER BY created_at, user_id").ConfigureAwait(false)).ToList(), ct);

    /// <summary>Marks the user deleted and drops their memberships.</summary>
    public static async Task DeleteUserAsync(SqliteConnection c, SqliteTransaction tx, string userId)
    {
        await c.ExecuteAsync("UPDATE users SET deleted_at = @at WHERE user_id = @userId AND deleted_at IS NULL", new { userId, at = CatalogDb.Now() }, tx).ConfigureAwait(false);
        await c.ExecuteAsync("DELETE FROM memberships WHERE user_id = @userId", new { userId }, tx).ConfigureAwait(false);
    }

    // ---- workspaces and memberships ----

    /// <summary>Adds a workspace with its group and first vault; false when the id is taken.</summary>
    public static async Task<bool> CreateWorkspaceAsync(SqliteConnection c, SqliteTransaction tx, string workspaceId, string name, string groupId,
        Guid vaultId, string vaultName)
    {
        var at = CatalogDb.Now();
        if (await c.ExecuteAsync("INSERT INTO workspaces (workspace_id, name, group_id, created_at) VALUES (@workspaceId, @name, @groupId, @at) ON CONFLICT DO NOTHING",
                new { workspaceId, name, groupId, at }, tx).ConfigureAwait(false) == 0)
            return false;
        await AddVaultAsync(c, tx, workspaceId, vaultId, vaultName).ConfigureAwait(false);
        return true;
    }

    /// <summary>One workspace.</summary>
    public Task<WorkspaceRow?> GetWorkspaceAsync(string workspaceId, CancellationToken ct) =>
        db.ReadAsync(c => c.QuerySingleOrDefaultAsync<WorkspaceRow>("SELECT * FROM workspaces WHERE workspace_id = @workspaceId", new { workspaceId }), ct);

    /// <summary>All workspaces.</summary>
    public Task<List<WorkspaceRow>> ListWorkspacesAsync(CancellationToken ct) =>
        db.ReadAsync(async c => (await c.QueryAsync<WorkspaceRow>("SELECT * FROM workspaces ORDER BY created_at, workspace_id").ConfigureAwait(false)).ToList(), ct);

    /// <summary>All memberships.</summary>
    public Task<List<MembershipRow>> ListMembershipsAsync(CancellationToken ct) =>
        db.ReadAsync(async c => (await c.QueryAsync<MembershipRow>("SELECT * FROM memberships ORDER BY joined_at").ConfigureAwait(false)).ToList(), ct);

    /// <summary>Adds a membership (no-op when present).</summary>
    public static Task AddMembershipAsync(SqliteConnection c, SqliteTransaction tx, string userId, string workspaceId) =>
        c.ExecuteAsync("INSERT INTO memberships (user_id, workspace_id, joined_at) VALUES (@userId, @workspaceId, @at) ON CONFLICT DO NOTHING",
            new { userId, workspaceId, at = CatalogDb.Now() }, tx);

    /// <summary>Removes a membership (no-op when absent).</summary>
    public static Task RemoveMembershipAsync(SqliteConnection c, SqliteTransaction tx, string userId, string workspaceId) =>
        c.ExecuteAsync("DELETE FROM memberships WHERE user_id = @userId AND workspace_id = @workspaceId", new { userId, workspaceId }, tx);

    /// <summary>Whether the user is a member of the workspace now.</summary>
    public Task<bool> IsMemberAsync(string userId, string workspaceId, CancellationToken ct) =>
        db.ReadAsync(async c => await c.ExecuteScalarAsync<long?>("SELECT 1 FROM memberships WHERE user_id = @userId AND workspace_id = @workspaceId",
            new { userId, workspaceId }).ConfigureAwait(false) is not null, ct);

    /// <summary>The workspaces the user belongs to.</summary>
    public Task<List<WorkspaceRow>> WorkspacesOfUserAsync(string userId, CancellationToken ct) =>
        db.ReadAsync(async c => (await c.QueryAsync<WorkspaceRow>(
            "SELECT w.* FROM workspaces w JOIN memberships m ON m.workspace_id = w.workspace_id WHERE m.user_id = @userId ORDER BY w.workspace_id",
            new { userId }).ConfigureAwait(false)).ToList(), ct);

    // ---- devices ----

    /// <summary>Records a registered device under its user: the id only, never the token.</summary>
    public Task AddDeviceAsync(Guid deviceId, string userId, string displayName, DateTimeOffset registeredAt, CancellationToken ct) =>
        db.WriteAsync((c, tx) => c.ExecuteAsync(
            "INSERT INTO devices (device_id, user_id, display_name, registered_at) VALUES (@deviceId, @userId, @displayName, @registeredAt)",
            new { deviceId = deviceId.ToString("D"), userId, displayName, registeredAt = registeredAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture) }, tx), ct);

    /// <summary>One device.</summary>
    public Task<DeviceRow?> GetDeviceAsync(string deviceId, CancellationToken ct) =>
        db.ReadAsync(c => c.QuerySingleOrDefaultAsync<DeviceRow>("SELECT * FROM devices WHERE device_id = @deviceId", new { deviceId }), ct);

    /// <summary>All devices.</summary>
    public Task<List<DeviceRow>> ListDevicesAsync(CancellationToken ct) =>
        db.ReadAsync(async c => (await c.QueryAsync<DeviceRow>("SELECT * FROM devices ORDER BY registered_at").ConfigureAwait(false)).ToList(), ct);

    /// <summary>The user's devices, revoked ones included.</summary>
    public Task<List<DeviceRow>> DevicesOfUserAsync(string userId, CancellationToken ct) =>
        db.ReadAsync(async c => (await c.QueryAsync<DeviceRow>("SELECT * FROM devices WHERE user_id = @userId ORDER BY registered_at", new { userId }).ConfigureAwait(false)).ToList(), ct);

    /// <summary>Marks one device revoked (keeps the first reason).</summary>
    public Task MarkDeviceRevokedAsync(string deviceId, string reason, CancellationToken ct) =>
        db.WriteAsync((c, tx) => MarkDeviceRevokedAsync(c, tx, deviceId, reason), ct);

    /// <summary>Marks one device revoked inside a write.</summary>
    public static Task MarkDeviceRevokedAsync(SqliteConnection c, SqliteTransaction tx, string deviceId, string reason) =>
        c.ExecuteAsync("UPDATE devices SET revoked_at = @at, revoke_reason = @reason WHERE device_id = @deviceId AND revoked_at IS NULL",
            new { deviceId, reason, at = CatalogDb.Now() }, tx);

    /// <summary>Marks all the user's devices revoked inside a write.</summary>
    public static Task RevokeDevicesOfUserAsync(SqliteConnection c, SqliteTransaction tx, string userId, string reason) =>
        c.ExecuteAsync("UPDATE devices SET revoked_at = @at, revoke_reason = @reason WHERE user_id = @userId AND revoked_at IS NULL",
            new { userId, reason, at = CatalogDb.Now() }, tx);

    // ---- workspace vaults ----

    /// <summary>Maps a vault to a workspace (no-op when present).</summary>
    public static Task AddVaultAsync(SqliteConnection c, SqliteTransaction tx, string workspaceId, Guid vaultId, string name) =>
        c.ExecuteAsync("INSERT INTO workspace_vaults (workspace_id, vault_id, name, added_at) VALUES (@workspaceId, @vaultId, @name, @at) ON CONFLICT DO NOTHING",
            new { workspaceId, vaultId = vaultId.ToString("D"), name, at = CatalogDb.Now() }, tx);

    /// <summary>Unmaps a vault from a workspace (no-op when absent).</summary>
    public static Task RemoveVaultAsync(SqliteConnection c, SqliteTransaction tx, string workspaceId, Guid vaultId) =>
        c.ExecuteAsync("DELETE FROM workspace_vaults WHERE workspace_id = @workspaceId AND vault_id = @vaultId",
            new { workspaceId, vaultId = vaultId.ToString("D") }, tx);

    /// <summary>One workspace vault.</summary>
    public Task<VaultRow?> GetVaultAsync(string workspaceId, Guid vaultId, CancellationToken ct) =>
        db.ReadAsync(c => c.QuerySingleOrDefaultAsync<VaultRow>("SELECT * FROM workspace_vaults WHERE workspace_id = @workspaceId AND vault_id = @vaultId",
            new { workspaceId, vaultId = vaultId.ToString("D") }), ct);

    /// <summary>All workspace vaults.</summary>
    public Task<List<VaultRow>> ListVaultsAsync(CancellationToken ct) =>
        db.ReadAsync(async c => (await c.QueryAsync<VaultRow>("SELECT * FROM workspace_vaults ORDER BY added_at").ConfigureAwait(false)).ToList(), ct);

    // ---- events ----

    /// <summary>Records an accepted event as pending; false when its id was seen before.</summary>
    public static async Task<bool> TryInsertEventAsync(SqliteConnection c, SqliteTransaction tx, string eventId, string type, string body) =>
        await c.ExecuteAsync("INSERT INTO events (event_id, type, body, received_at, status) VALUES (@eventId, @type, @body, @at, 'pending') ON CONFLICT DO NOTHING",
            new { eventId, type, body, at = CatalogDb.Now() }, tx).ConfigureAwait(false) == 1;

    /// <summary>One event.</summary>
    public Task<EventRow?> GetEventAsync(string eventId, CancellationToken ct) =>
        db.ReadAsync(c => c.QuerySingleOrDefaultAsync<EventRow>("SELECT * FROM events WHERE event_id = @eventId", new { eventId }), ct);

    /// <summary>The pending events, oldest first.</summary>
    public Task<List<EventRow>> PendingEventsAsync(CancellationToken ct) =>
        db.ReadAsync(async c => (await c.QueryAsync<EventRow>("SELECT * FROM events WHERE status = 'pending' ORDER BY received_at, rowid").ConfigureAwait(false)).ToList(), ct);

    /// <summary>The latest events.</summary>
    public Task<List<EventRow>> RecentEventsAsync(int n, CancellationToken ct) =>
        db.ReadAsync(async c => (await c.QueryAsync<EventRow>("SELECT * FROM events ORDER BY rowid DESC LIMIT @n", new { n }).ConfigureAwait(false)).ToList(), ct);

    /// <summary>Records the outcome of an attempt to bring TinySync in line with an event.</summary>
    public Task SetEventOutcomeAsync(string eventId, string status, string? error, CancellationToken ct) =>
        db.WriteAsync((c, tx) => c.ExecuteAsync(
            "UPDATE events SET status = @status, attempts = attempts + 1, last_error = @error, applied_at = CASE WHEN @status = 'applied' THEN @at ELSE applied_at END WHERE event_id = @eventId",
            new { eventId, status, error, at = CatalogDb.Now() }, tx), ct);

    // ---- call log and activity ----

    /// <summary>
    /// Appends one management call (already redacted by the client library) and drops the oldest beyond
    /// <paramref name="keep"/>, in the same write: the log stays bounded however long TinySync is down.
    /// </summary>
    public Task AppendCallAsync(string? context, TinySync.Management.ManagementCall call, int keep, CancellationToken ct) =>
        db.WriteAsync(async (c, tx) =>
        {
            await c.ExecuteAsync(
                """
                INSERT INTO call_log (at, context, method, path, status, duration_ms, attempt, request_body, response_body, error)
                VALUES (@at, @context, @method, @path, @status, @durationMs, @attempt, @requestBody, @responseBody, @error)
                """,
                new
                {
                    at = call.StartedAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture), context, method = call.Method, path = call.Path,
                    status = call.Status, durationMs = call.Duration.TotalMilliseconds, attempt = call.Attempt,
                    requestBody = call.RequestBody, responseBody = call.ResponseBody, error = call.Error,
                }, tx).ConfigureAwait(false);
            // seq only grows and rows are only ever dropped from the old end, so this keeps exactly the newest `keep`.
            await c.ExecuteAsync("DELETE FROM call_log WHERE seq <= (SELECT MAX(seq) FROM call_log) - @keep", new { keep }, tx).ConfigureAwait(false);
        }, ct);

    /// <summary>
    /// One page of the call log, newest first: the newest <paramref name="limit"/> calls, or those just older than
    /// <paramref name="before"/>, or just newer than <paramref name="after"/> (keyset paging: a page stays put while
    /// new calls arrive).
    /// </summary>
    public Task<CallsPage> CallsPageAsync(long? before, long? after, int limit, CancellationToken ct) =>
        db.ReadAsync(async c =>
        {
            // One read transaction: the page and its counts come from the same snapshot (WAL) while calls keep arriving.
            await using var tx = c.BeginTransaction(deferred: true); // deferred: a read snapshot, no write lock
            List<CallRow> rows;
            if (after is { } a)
                rows = [.. (await c.QueryAsync<CallRow>("SELECT * FROM call_log WHERE seq > @a ORDER BY seq LIMIT @limit", new { a, limit }, tx).ConfigureAwait(false)).Reverse()];
            else
                rows = [.. await c.QueryAsync<CallRow>("SELECT * FROM call_log WHERE seq < @b ORDER BY seq DESC LIMIT @limit",
                    new { b = before ?? long.MaxValue, limit }, tx).ConfigureAwait(false)];
            var (total, min, max) = await c.QuerySingleAsync<(long, long?, long?)>("SELECT COUNT(*), MIN(seq), MAX(seq) FROM call_log", transaction: tx).ConfigureAwait(false);
            return new CallsPage(rows, total, max ?? 0,
                HasOlder: rows.Count > 0 && rows[^1].Seq > min, HasNewer: rows.Count > 0 && rows[0].Seq < max);
        }, ct);

    /// <summary>Calls made under a context (an event id, an action).</summary>
    public Task<List<CallRow>> CallsForContextAsync(string context, CancellationToken ct) =>
        db.ReadAsync(async c => (await c.QueryAsync<CallRow>("SELECT * FROM call_log WHERE context = @context ORDER BY seq", new { context }).ConfigureAwait(false)).ToList(), ct);

    /// <summary>Appends an activity entry: what the service decided and why.</summary>
    public Task AppendActivityAsync(string level, string? context, string message, CancellationToken ct) =>
        db.WriteAsync((c, tx) => c.ExecuteAsync("INSERT INTO activity (at, level, context, message) VALUES (@at, @level, @context, @message)",
            new { at = CatalogDb.Now(), level, context, message }, tx), ct);

    /// <summary>The latest activity, newest first.</summary>
    public Task<List<ActivityRow>> RecentActivityAsync(int n, CancellationToken ct) =>
        db.ReadAsync(async c => (await c.QueryAsync<ActivityRow>("SELECT * FROM activity ORDER BY seq DESC LIMIT @n", new { n }).ConfigureAwait(false)).ToList(), ct);
}
