using System.Data.Common;
using TinySync.Core.Contracts;
using TinySync.Core.Paths;

namespace TinySync.Server.Storage.Sql;

// Vault sync, part 4: the history of an item across moves, and the deleted files still restorable (decision 0321).
public partial class SqlStore
{
    /// <summary>Most versions one history answers, and most moves it follows back.</summary>
    const int MaxHistory = 1000, MaxHistoryHops = 100;

    /// <inheritdoc />
    public async Task<IReadOnlyList<HistoryEntry>?> ReadHistoryAsync(Guid vaultId, string container, string path, DateTimeOffset since, CancellationToken ct)
    {
        await using var c = await ReadAsync(ct).ConfigureAwait(false);
        var v = ("@v", Dialect.Id(vaultId));
        var cn = ("@c", container);
        if (!await ContainerExistsAsync(c, v!, cn!, ct).ConfigureAwait(false)) return null;
        var live = await Sql.FirstOrDefaultAsync(c, null,
            "SELECT path, kind, version, size, chunks, executable, mtime FROM items WHERE vault_id = @v AND container = @c AND path_key = @k",
            r => ItemRows.Read(Dialect, r, 0), ct, v!, cn!, ("@k", VaultPath.Key(path))).ConfigureAwait(false);
        var walk = new HistoryWalk(live?.Path ?? path, live);
        var upper = long.MaxValue;
        for (var hop = 0; hop < MaxHistoryHops && walk.Count < MaxHistory; hop++)
        {
            var keys = walk.Keys();
            var rows = await Sql.ListAsync(c, null,
                $"""
                SELECT {HistoryColumns} FROM change_log l LEFT JOIN devices d ON d.device_id = l.device_id
                WHERE l.vault_id = @v AND l.container = @c AND l.seq < @u AND (l.committed_at >= @since OR l.seq = @live)
                  AND ({Dialect.InList("l.path_key", "@k")} OR {Dialect.InList("l.new_path_key", "@k2")})
                ORDER BY l.seq DESC LIMIT @n
                """,
                ReadHistoryRow, ct, v!, cn!, ("@u", upper), ("@since", Dialect.Time(since)), ("@live", live?.Version ?? -1L),
                ("@k", Dialect.TextList(keys)), ("@k2", Dialect.TextList(keys)), ("@n", MaxHistory)).ConfigureAwait(false);
            long? restart = null;
            foreach (var row in rows)
            {
                if (walk.Count >= MaxHistory) break;
                if (walk.IsDeleteOfAncestorOrSelf(row))
                {
                    // A folder's delete removed this file only if the file was there: what the delete removed says so.
                    var removed = await Sql.FirstOrDefaultAsync(c, null,
                        "SELECT version, size, chunks, executable, mtime FROM deleted_items WHERE vault_id = @v AND deleted_seq = @s AND container = @c AND path_key = @k",
                        r => new RemovedVersion(r.GetInt64(0), new HistoryContent(r.GetInt64(1), ChunkList.Parse(r.GetString(2)),
                            r.IsDBNull(3) ? null : r.GetBoolean(3), r.IsDBNull(4) ? null : Dialect.ReadTime(r, 4))),
                        ct, v!, ("@s", row.Seq), cn!, ("@k", walk.Key)).ConfigureAwait(false);
                    walk.Deleted(row, removed);
                    continue;
                }
                restart = walk.Apply(row);
                if (restart is not null) break;
            }
            if (restart is null) break;
            upper = restart.Value;
        }
        // A deleted file's last version may be older than the window; what the delete removed is still restorable.
        foreach (var (seq, removedPath) in walk.MissingRemovedVersions())
        {
            var row = await Sql.FirstOrDefaultAsync(c, null,
                $"SELECT {HistoryColumns} FROM change_log l LEFT JOIN devices d ON d.device_id = l.device_id WHERE l.vault_id = @v AND l.seq = @s",
                ReadHistoryRow, ct, v!, ("@s", seq)).ConfigureAwait(false);
            if (row is not null) walk.AddRemovedVersion(row, removedPath);
        }
        return walk.Result();
    }

    /// <inheritdoc />
    public async Task<DeletedRead?> ReadDeletedAsync(Guid vaultId, string container, string? under, string? afterKey, int limit, DateTimeOffset since,
        CancellationToken ct)
    {
        await using var c = await ReadAsync(ct).ConfigureAwait(false);
        var v = ("@v", Dialect.Id(vaultId));
        var cn = ("@c", container);
        if (!await ContainerExistsAsync(c, v!, cn!, ct).ConfigureAwait(false)) return null;
        var underKey = under is null ? null : VaultPath.Key(under);
        // The newest delete of each path, unless the path is live again; keys 'K/' <= key < 'K0' are under K.
        var range = underKey is null ? "" : "AND x.path_key >= @lo AND x.path_key < @hi";
        var rows = await Sql.ListAsync(c, null,
            $"""
            SELECT x.path, x.deleted_seq, x.deleted_at, l.device_id, d.display_name, x.version, x.size, x.path_key
            FROM deleted_items x
            JOIN change_log l ON l.vault_id = x.vault_id AND l.seq = x.deleted_seq
            LEFT JOIN devices d ON d.device_id = l.device_id
            WHERE x.vault_id = @v AND x.container = @c AND x.deleted_at >= @since AND x.path_key > @after
              {range}
              AND NOT EXISTS (SELECT 1 FROM items i WHERE i.vault_id = x.vault_id AND i.container = x.container AND i.path_key = x.path_key)
              AND NOT EXISTS (SELECT 1 FROM deleted_items n WHERE n.vault_id = x.vault_id AND n.container = x.container
                              AND n.path_key = x.path_key AND n.deleted_seq > x.deleted_seq)
            ORDER BY x.path_key LIMIT @l
            """,
            r => (Entry: new DeletedEntry
            {
                Path = r.GetString(0),
                DeletedSeq = r.GetInt64(1),
                DeletedAt = Dialect.ReadTime(r, 2),
                DeviceId = Dialect.ReadId(r, 3),
                DeviceName = r.NullableString(4),
                Version = r.GetInt64(5),
                Size = r.GetInt64(6),
            }, Key: r.GetString(7)),
            ct, [v!, cn!, ("@since", Dialect.Time(since)), ("@after", afterKey ?? ""), ("@l", limit + 1),
                .. underKey is null ? [] : new (string, object?)[] { ("@lo", underKey + "/"), ("@hi", underKey + "0") }]).ConfigureAwait(false);
        var more = rows.Count > limit;
        if (more) rows.RemoveAt(rows.Count - 1);
        return new DeletedRead(rows.Select(x => x.Entry).ToList(), more ? rows[^1].Key : null);
    }

    async Task<bool> ContainerExistsAsync(DbConnection c, (string, object?) vault, (string, object?) container, CancellationToken ct) =>
        await Sql.ScalarAsync(c, null, "SELECT 1 FROM containers WHERE vault_id = @v AND name = @c", ct, vault, container).ConfigureAwait(false) is not null;

    const string HistoryColumns =
        "l.seq, l.kind, l.path, l.path_key, l.new_path, l.new_path_key, l.device_id, d.display_name, l.committed_at, l.size, l.chunks, l.executable, l.mtime";

    HistoryRow ReadHistoryRow(DbDataReader r) => new(
        r.GetInt64(0), ItemRows.ParseKind(r.GetString(1)), r.GetString(2), r.GetString(3), r.NullableString(4), r.NullableString(5),
        Dialect.ReadId(r, 6), r.NullableString(7), Dialect.ReadTime(r, 8),
        r.IsDBNull(10) ? null : new HistoryContent(r.NullableInt64(9), ChunkList.Parse(r.GetString(10)),
            r.IsDBNull(11) ? null : r.GetBoolean(11), r.IsDBNull(12) ? null : Dialect.ReadTime(r, 12)));
}
