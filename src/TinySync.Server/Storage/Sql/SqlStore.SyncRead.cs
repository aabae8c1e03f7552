using System.Globalization;
using TinySync.Core.Contracts;
using TinySync.Core.Paths;

namespace TinySync.Server.Storage.Sql;

// Vault sync, part 2: reading the log, the tree and the history of a path.
public partial class SqlStore
{
    const string LogColumns = "seq, op_id, device_id, kind, container, path, new_path, size, chunks, executable, mtime, committed_at";

    /// <inheritdoc />
    public async Task<LogPage?> ReadLogAsync(Guid vaultId, long after, int limit, CancellationToken ct)
    {
        await using var c = await ReadAsync(ct).ConfigureAwait(false);
        var v = ("@v", Dialect.Id(vaultId));
        // The head first: every row up to it is committed (head_seq moves in the same transaction as the rows).
        var headValue = await Sql.ScalarAsync(c, null, "SELECT head_seq FROM vaults WHERE vault_id = @v", ct, v!).ConfigureAwait(false);
        if (headValue is null) return null;
        var head = Convert.ToInt64(headValue, CultureInfo.InvariantCulture);
        if (after >= head) return new LogPage([], head, false);
        var rows = await Sql.ListAsync(c, null,
            $"SELECT {LogColumns} FROM change_log WHERE vault_id = @v AND seq > @a AND seq <= @h ORDER BY seq LIMIT @l",
            r => new LogEntry
            {
                Seq = r.GetInt64(0),
                OpId = Dialect.ReadId(r, 1),
                DeviceId = Dialect.ReadId(r, 2),
                Kind = ItemRows.ParseKind(r.GetString(3)),
                Container = r.GetString(4),
                Path = r.GetString(5),
                NewPath = r.NullableString(6),
                Size = r.NullableInt64(7),
                Chunks = r.IsDBNull(8) ? null : ChunkList.Parse(r.GetString(8)),
                Executable = r.IsDBNull(9) ? null : r.GetBoolean(9),
                Mtime = r.IsDBNull(10) ? null : Dialect.ReadTime(r, 10),
                CommittedAt = Dialect.ReadTime(r, 11),
            }, ct, v!, ("@a", after), ("@h", head), ("@l", limit)).ConfigureAwait(false);
        return new LogPage(rows, head, rows.Count > 0 && rows[^1].Seq < head);
    }

    /// <inheritdoc />
    public async Task<TreeRead?> ReadTreeAsync(Guid vaultId, string container, string? afterKey, int limit, CancellationToken ct)
    {
        await using var c = await ReadAsync(ct).ConfigureAwait(false);
        var v = ("@v", Dialect.Id(vaultId));
        var cn = ("@c", container);
        if (await Sql.ScalarAsync(c, null, "SELECT 1 FROM containers WHERE vault_id = @v AND name = @c", ct, v!, cn!).ConfigureAwait(false) is null)
            return null;
        // Head before items: the items reflect at least this seq; replaying the log after it converges (RemoteTree).
        var head = Convert.ToInt64(await Sql.ScalarAsync(c, null, "SELECT head_seq FROM vaults WHERE vault_id = @v", ct, v!).ConfigureAwait(false),
            CultureInfo.InvariantCulture);
        var rows = await Sql.ListAsync(c, null,
            """
            SELECT path, kind, version, size, chunks, executable, mtime, path_key FROM items
            WHERE vault_id = @v AND container = @c AND path_key > @after ORDER BY path_key LIMIT @l
            """,
            r => (Item: ItemRows.Read(Dialect, r, 0), Key: r.GetString(7)), ct, v!, cn!, ("@after", afterKey ?? ""), ("@l", limit + 1)).ConfigureAwait(false);
        var more = rows.Count > limit;
        if (more) rows.RemoveAt(rows.Count - 1);
        return new TreeRead(head, rows.Select(x => x.Item).ToList(), more ? rows[^1].Key : null);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<HistoryEntry>?> ReadHistoryAsync(Guid vaultId, string container, string path, DateTimeOffset since, CancellationToken ct)
    {
        await using var c = await ReadAsync(ct).ConfigureAwait(false);
        var v = ("@v", Dialect.Id(vaultId));
        var cn = ("@c", container);
        if (await Sql.ScalarAsync(c, null, "SELECT 1 FROM containers WHERE vault_id = @v AND name = @c", ct, v!, cn!).ConfigureAwait(false) is null)
            return null;
        var key = ("@k", VaultPath.Key(path));
        var live = await Sql.ScalarAsync(c, null, "SELECT version FROM items WHERE vault_id = @v AND container = @c AND path_key = @k", ct, v!, cn!, key!)
            .ConfigureAwait(false);
        return await Sql.ListAsync(c, null,
            """
            SELECT seq, kind, path, new_path, new_path_key, device_id, committed_at, size, chunks, executable, mtime FROM change_log
            WHERE vault_id = @v AND container = @c AND (path_key = @k OR new_path_key = @k) AND (committed_at >= @since OR seq = @live)
            ORDER BY seq DESC LIMIT 1000
            """,
            r => new HistoryEntry
            {
                Seq = r.GetInt64(0),
                Kind = ItemRows.ParseKind(r.GetString(1)),
                // A move that landed on this path shows its new name; one that left it, the old one.
                Path = !r.IsDBNull(4) && string.Equals(r.GetString(4), key.Item2, StringComparison.Ordinal) ? r.GetString(3) : r.GetString(2),
                DeviceId = Dialect.ReadId(r, 5),
                CommittedAt = Dialect.ReadTime(r, 6),
                Size = r.NullableInt64(7),
                Chunks = r.IsDBNull(8) ? null : ChunkList.Parse(r.GetString(8)),
                Executable = r.IsDBNull(9) ? null : r.GetBoolean(9),
                Mtime = r.IsDBNull(10) ? null : Dialect.ReadTime(r, 10),
            }, ct, v!, cn!, key!, ("@since", Dialect.Time(since)), ("@live", live ?? -1L)).ConfigureAwait(false);
    }
}
