using TinySync.Core.Contracts;
using TinySync.Server.Storage.Sql;
using TinySync.Server.Storage.Sqlite;
using TinySync.Server.Tests.Support;

namespace TinySync.Server.Tests.Stores;

/// <summary>
/// The SQLite connection pool closes what it opened: once the store is disposed, and a connection in use then given
/// back, no file descriptor of this process points at the database, its WAL or its shared-memory file (Linux: read from /proc/self/fd), and the files can be
/// deleted and the database opened again from scratch.
/// </summary>
public sealed class SqliteConnectionPoolTests
{
    [Fact]
    public async Task After_the_store_is_disposed_no_connection_to_the_database_remains_open()
    {
        Directory.Exists("/proc/self/fd").ShouldBeTrue("reads the open descriptors from /proc (Linux)");
        using var dir = new TempDir();
        var path = dir.Sub("tinysync.db");
        var store = new SqlStore(new SqliteDialect(path));
        await store.MigrateAsync(default);
        var device = Guid.CreateVersion7();
        var vault = Guid.CreateVersion7();
        var now = DateTimeOffset.UtcNow;
        await store.RegisterDeviceAsync(device, "d", new byte[32], now, default);
        await store.UpsertVaultAsync(vault, "v", now, default);
        await store.AddDeviceToGroupAsync("g", device, now, default);
        await store.AddVaultToGroupAsync("g", vault, now, default);
        // readers (several at once, so the pool holds more than one), the writer, and prepared statements on each
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () => (await store.GetMeAsync(device, default)).ShouldNotBeNull())));
        var outcome = await store.CommitAsync(vault, device, [new Op { OpId = Guid.NewGuid(), Kind = OpKind.Mkdir, Path = "d", Base = 0 }], now, default);
        outcome.ShouldNotBeNull().Results[0].Status.ShouldBe(OpStatus.Committed);
        OpenFiles(path).ShouldNotBeEmpty("the pool keeps connections open while the store is open");
        var inUse = await store.Dialect.OpenAsync(default); // still in use when the store goes away

        await store.DisposeAsync();
        OpenFiles(path).Count.ShouldBeGreaterThan(0, "the connection in use is not closed under its user");
        await inUse.DisposeAsync();

        OpenFiles(path).ShouldBeEmpty();
        foreach (var file in Directory.GetFiles(dir.Path)) File.Delete(file);
        await using var again = new SqlStore(new SqliteDialect(path));
        await again.MigrateAsync(default);
        (await again.GetMeAsync(device, default)).ShouldBeNull(); // a new, empty database: nothing was kept open
    }

    /// <summary>The descriptors of this process open on the database file or its -wal / -shm companions.</summary>
    static List<string> OpenFiles(string database)
    {
        var open = new List<string>();
        foreach (var fd in Directory.GetFiles("/proc/self/fd"))
        {
            string? target;
            try { target = new FileInfo(fd).LinkTarget; }
            catch (IOException) { continue; } // closed meanwhile
            if (target is not null && target.StartsWith(database, StringComparison.Ordinal)) open.Add(target);
        }
        return open;
    }
}
