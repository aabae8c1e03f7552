using TinySync.Server.Storage.Sql;
using TinySync.Server.Storage.Sqlite;
using TinySync.Server.Tests.Support;

namespace TinySync.Server.Tests.Identity;

/// <summary>
/// The credential and <c>/v1/me</c> statements run through SQLite's C API on pooled connections (decision 0219):
/// prepared once per connection and reset after every use, so a pooled connection never keeps a read snapshot
/// that would hide a revocation or a removed edge from the next request.
/// </summary>
public sealed class SqliteHotStatementsTests
{
    [Fact]
    public async Task A_reused_connection_sees_every_write_on_its_next_read()
    {
        using var dir = new TempDir();
        await using var store = new SqlStore(new SqliteDialect(dir.Sub("tinysync.db")));
        await store.MigrateAsync(default);
        var now = DateTimeOffset.UtcNow;
        var id = Guid.CreateVersion7();
        var hash = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

        (await store.FindCredentialAsync(id, default)).ShouldBeNull();
        (await store.GetMeAsync(id, default)).ShouldBeNull();
        await store.RegisterDeviceAsync(id, "ünïcode & \"quotes\"", hash, now, default);
        for (var i = 0; i < 3; i++) // one request at a time: the same pooled connection and its prepared statements
        {
            var credential = (await store.FindCredentialAsync(id, default)).ShouldNotBeNull();
            credential.Hash.ShouldBe(hash);
            credential.RevokedAt.ShouldBeNull();
            var me = (await store.GetMeAsync(id, default)).ShouldNotBeNull();
            me.DisplayName.ShouldBe("ünïcode & \"quotes\"");
            me.Groups.ShouldBeEmpty();
            me.Vaults.ShouldBeEmpty();
        }

        var vault = Guid.CreateVersion7();
        await store.UpsertVaultAsync(vault, "v", now, default);
        await store.AddDeviceToGroupAsync("g", id, now, default);
        await store.AddVaultToGroupAsync("g", vault, now, default);
        var after = (await store.GetMeAsync(id, default)).ShouldNotBeNull();
        after.Groups.ShouldBe(["g"]);
        after.Vaults.Select(v => v.VaultId).ShouldBe([vault]);

        await store.RevokeDeviceAsync(id, now, "test", default);
        (await store.FindCredentialAsync(id, default)).ShouldNotBeNull().RevokedAt.ShouldNotBeNull();
    }
}
