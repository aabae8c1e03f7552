using System.Globalization;
using Microsoft.Data.Sqlite;
using TinySync.Client.Engine;
using TinySync.Client.State;
using TinySync.Core.Contracts;

namespace TinySync.Client.Index;

/// <summary>
/// The per-link SQLite index holding the three trees (remote, local, synced base) and the log cursor. Every write goes
/// through a transaction, so a crash leaves the index at a consistent point; a corrupted file is detected on open and
/// rebuilt (see <see cref="Open"/>).
/// </summary>
public sealed class LinkIndex : IDisposable
{
    const int SchemaVersion = 1;
    readonly SqliteConnection _db;

    LinkIndex(SqliteConnection db, string path, bool rebuilt)
    {
        _db = db;
        FilePath = path;
        WasRebuilt = rebuilt;
    }

    /// <summary>The index file.</summary>
    public string FilePath { get; }

    /// <summary>True when the index was found corrupted on open and started afresh.</summary>
    public bool WasRebuilt { get; }

    /// <summary>
    /// Opens (or creates) the index. A file that fails SQLite's integrity check, or is not a TinySync index, is moved
    /// aside as <c>index.db.corrupt-*</c> and a fresh index is created: the next cycle re-reads the server tree and
    /// hashes the folder, treating unknown local files as local changes (conflicts keep both copies).
    /// </summary>
    public static LinkIndex Open(string directory)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "index.db");
        var rebuilt = false;
        if (File.Exists(path) && IsCorrupt(path))
        {
            SqliteConnection.ClearAllPools();
            var aside = path + ".corrupt-" + DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);
            File.Move(path, aside, overwrite: true);
            foreach (var extra in new[] { "-wal", "-shm" }) if (File.Exists(path + extra)) File.Move(path + extra, aside + extra, overwrite: true);
            rebuilt = true;
        }
        var db = Connect(path);
        Exec(db, """
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS remote (path TEXT PRIMARY KEY, kind INTEGER NOT NULL, version INTEGER NOT NULL,
              size INTEGER NOT NULL, chunks TEXT NOT NULL, exec INTEGER NOT NULL, mtime TEXT);
            CREATE TABLE IF NOT EXISTS base (path TEXT PRIMARY KEY, kind INTEGER NOT NULL, version INTEGER NOT NULL,
              size INTEGER NOT NULL, chunks TEXT NOT NULL, exec INTEGER NOT NULL, mtime TEXT);
            CREATE TABLE IF NOT EXISTS local (path TEXT PRIMARY KEY, kind INTEGER NOT NULL, size INTEGER NOT NULL,
              mtime_ns INTEGER NOT NULL, inode INTEGER NOT NULL, exec INTEGER NOT NULL, chunks TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS rejected (path TEXT PRIMARY KEY, signature TEXT NOT NULL, reason TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS placing (path TEXT PRIMARY KEY, kind INTEGER NOT NULL, version INTEGER NOT NULL,
              size INTEGER NOT NULL, chunks TEXT NOT NULL, exec INTEGER NOT NULL, mtime TEXT);
            """);
        Exec(db, $"INSERT OR IGNORE INTO meta(key, value) VALUES ('schema', '{SchemaVersion}')");
        return new LinkIndex(db, path, rebuilt);
    }

    /// <summary>
    /// Opens an existing index only to read it, beside an engine that may be using or creating it (<c>status</c>,
    /// <c>select</c>'s check): never judged corrupt, moved aside or created here, since a file another process is
    /// creating looks unfinished for a moment and moving it aside would leave that engine writing to a file nobody
    /// reads. Null when there is no index yet; a half-created one throws <see cref="SqliteException"/> on its first read.
    /// </summary>
    public static LinkIndex? OpenForReading(string directory)
    {
        var path = Path.Combine(directory, "index.db");
        if (!File.Exists(path)) return null;
        var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, Mode = SqliteOpenMode.ReadWrite }.ToString());
        db.Open();
        Exec(db, "PRAGMA busy_timeout=5000;");
        return new LinkIndex(db, path, rebuilt: false);
    }

    static SqliteConnection Connect(string path)
    {
        var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        db.Open();
        Exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;");
        return db;
    }

    /// <summary>
    /// True only when the file fails SQLite's integrity check or is not a TinySync index. A full disk, a read-only or
    /// unreadable file or an I/O error is no evidence of corruption: it propagates (see <see cref="Unavailable"/>) and
    /// the healthy index stays where it is (decision 0715).
    /// </summary>
    static bool IsCorrupt(string path)
    {
        try
        {
            using var db = Connect(path);
            using var cmd = db.CreateCommand();
            cmd.CommandText = "PRAGMA quick_check";
            if (cmd.ExecuteScalar() as string != "ok") return true;
            cmd.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'";
            if (Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture) == 0) return true;
            cmd.CommandText = "SELECT value FROM meta WHERE key = 'schema'";
            return cmd.ExecuteScalar() is not string;
        }
        catch (SqliteException e) when (IndexFailure.IsCorruption(e))
        {
            return true;
        }
    }

    static void Exec(SqliteConnection db, string sql)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    // ---- meta ----

    /// <summary>The log cursor: every row with seq &lt;= cursor has been applied to the remote tree.</summary>
    public long Cursor
    {
        get => long.Parse(GetMeta("cursor") ?? "0", CultureInfo.InvariantCulture);
        set => SetMeta("cursor", value.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>True once the remote tree has been bootstrapped from <c>/tree</c>.</summary>
    public bool Bootstrapped
    {
        get => GetMeta("bootstrapped") == "1";
        set => SetMeta("bootstrapped", value ? "1" : "0");
    }

    /// <summary>Reads a meta value.</summary>
    public string? GetMeta(string key)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT value FROM meta WHERE key = $k";
        cmd.Parameters.AddWithValue("$k", key);
        return cmd.ExecuteScalar() as string;
    }

    /// <summary>Writes a meta value.</summary>
    public void SetMeta(string key, string value)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "INSERT INTO meta(key, value) VALUES ($k, $v) ON CONFLICT(key) DO UPDATE SET value = excluded.value";
        cmd.Parameters.AddWithValue("$k", key);
        cmd.Parameters.AddWithValue("$v", value);
        cmd.ExecuteNonQuery();
    }

    // ---- loads ----

    /// <summary>The remote tree.</summary>
    public Dictionary<string, ItemState> LoadRemote() => LoadItems("remote", null);

    /// <summary>
    /// The synced base. With <paramref name="shareWith"/> (the remote tree), a row equal to the remote item at the
    /// same path reuses that (immutable) object instead of a copy: in a synced folder base and remote are mostly
    /// equal, and this halves what the two trees hold in memory.
    /// </summary>
    public Dictionary<string, ItemState> LoadBase(IReadOnlyDictionary<string, ItemState>? shareWith = null) => LoadItems("base", shareWith);

    /// <summary>
    /// Downloads about to be renamed into place and not yet recorded (decision 0721): the server version each path is
    /// to hold. Written before the rename, removed in the transaction that records the placed file.
    /// </summary>
    public Dictionary<string, ItemState> LoadPlacing() => LoadItems("placing", null);

    /// <summary>Records, in one transaction, that these server versions are about to be renamed into place.</summary>
    public void RecordPlacing(IEnumerable<ItemState> items)
    {
        using var batch = Begin();
        foreach (var item in items) batch.PutPlacing(item);
        batch.Commit();
    }

    Dictionary<string, ItemState> LoadItems(string table, IReadOnlyDictionary<string, ItemState>? shareWith)
    {
        var result = new Dictionary<string, ItemState>(Count(table), StringComparer.Ordinal);
        using var cmd = _db.CreateCommand();
        cmd.CommandText = $"SELECT path, kind, version, size, chunks, exec, mtime FROM {table}";
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            var path = r.GetString(0);
            var kind = (ItemKind)r.GetInt32(1);
            var version = r.GetInt64(2);
            var size = r.GetInt64(3);
            var chunks = r.GetString(4);
            var exec = r.GetInt32(5) != 0;
            DateTimeOffset? mtime = r.IsDBNull(6) ? null : DateTimeOffset.Parse(r.GetString(6), CultureInfo.InvariantCulture);
            if (shareWith is not null && shareWith.TryGetValue(path, out var twin))
            {
                if (twin.Kind == kind && twin.Version == version && twin.Size == size && twin.Executable == exec && twin.Mtime == mtime
                    && SameHashes(chunks, twin.Chunks))
                {
                    result[twin.Path] = twin;
                    continue;
                }
                path = twin.Path;
            }
            result[path] = new ItemState
            {
                Path = path, Kind = kind, Version = version, Size = size, Chunks = SplitHashes(chunks), Executable = exec, Mtime = mtime,
            };
        }
        return result;
    }

    // Maps of whole trees are sized up front: grown by doubling, a 100,000-row map leaves as much again in dead
    // large-object arrays, which only a full collection frees (decision 0414).
    int Count(string table)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = $"SELECT count(*) FROM {table}";
        return Convert.ToInt32(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    /// <summary>Path and version of every remote item (what a commit's key check needs, without the items).</summary>
    public IEnumerable<(string Path, long Version)> RemoteVersions() => Versions("remote");

    /// <summary>Path and version of every item of the synced base.</summary>
    public IEnumerable<(string Path, long Version)> BaseVersions() => Versions("base");

    IEnumerable<(string Path, long Version)> Versions(string table)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = $"SELECT path, version FROM {table}";
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            yield return (r.GetString(0), r.GetInt64(1));
        }
    }

    // "h1,h2,..." against a list, without allocating.
    static bool SameHashes(string joined, IReadOnlyList<string> hashes)
    {
        var rest = joined.AsSpan();
        for (var i = 0; i < hashes.Count; i++)
        {
            if (i > 0)
            {
                if (rest.Length == 0 || rest[0] != ',') return false;
                rest = rest[1..];
            }
            if (!rest.StartsWith(hashes[i], StringComparison.Ordinal)) return false;
            rest = rest[hashes[i].Length..];
        }
        return rest.Length == 0;
    }

    /// <summary>
    /// The local tree (what the scanner last saw). With <paramref name="shareWith"/> (the remote tree), path and
    /// chunk-hash strings equal to the remote item's are shared instead of copied.
    /// </summary>
    public Dictionary<string, LocalState> LoadLocal(IReadOnlyDictionary<string, ItemState>? shareWith = null)
    {
        var result = new Dictionary<string, LocalState>(Count("local"), StringComparer.Ordinal);
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT path, kind, size, mtime_ns, inode, exec, chunks FROM local";
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            var path = r.GetString(0);
            IReadOnlyList<string>? hashes = null;
            if (shareWith is not null && shareWith.TryGetValue(path, out var twin))
            {
                path = twin.Path;
                hashes = twin.Chunks;
            }
            result[path] = new LocalState
            {
                Path = path,
                Kind = (ItemKind)r.GetInt32(1),
                Size = r.GetInt64(2),
                MtimeNs = r.GetInt64(3),
                Inode = unchecked((ulong)r.GetInt64(4)),
                Executable = r.GetInt32(5) != 0,
                Chunks = SplitChunkRefs(r.GetString(6), hashes),
            };
        }
        return result;
    }

    /// <summary>Paths the server rejected, with the content signature they were rejected for.</summary>
    public Dictionary<string, (string Signature, string Reason)> LoadRejected()
    {
        var result = new Dictionary<string, (string, string)>(StringComparer.Ordinal);
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT path, signature, reason FROM rejected";
        using var r = cmd.ExecuteReader();
        while (r.Read()) result[r.GetString(0)] = (r.GetString(1), r.GetString(2));
        return result;
    }

    // ---- writes ----

    /// <summary>Starts a write batch (one transaction).</summary>
    public Batch Begin() => new(this, _db.BeginTransaction());

    /// <summary>A transaction over the index.</summary>
    public sealed class Batch : IDisposable
    {
        readonly LinkIndex _index;
        readonly SqliteTransaction _tx;

        internal Batch(LinkIndex index, SqliteTransaction tx)
        {
            _index = index;
            _tx = tx;
        }

        // One prepared command per statement for the whole batch (a 100,000-row batch must not compile 100,000
        // statements); parameters are set by name on each use.
        readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);

        SqliteCommand Command(string sql)
        {
            if (_commands.TryGetValue(sql, out var cached))
            {
                return cached;
            }
            var cmd = _index._db.CreateCommand();
            cmd.Transaction = _tx;
            cmd.CommandText = sql;
            _commands[sql] = cmd;
            return cmd;
        }

        static void Set(SqliteCommand cmd, string name, object value)
        {
            if (cmd.Parameters.Contains(name)) cmd.Parameters[name].Value = value;
            else cmd.Parameters.AddWithValue(name, value);
        }

        /// <summary>Upserts into the remote tree.</summary>
        public void PutRemote(ItemState item) => PutItem("remote", item);

        /// <summary>Upserts into the synced base.</summary>
        public void PutBase(ItemState item) => PutItem("base", item);

        /// <summary>Records a download about to be renamed into place (see <see cref="LoadPlacing"/>).</summary>
        public void PutPlacing(ItemState item) => PutItem("placing", item);

        /// <summary>Forgets a download's placing record (recorded, or settled by a scan).</summary>
        public void DeletePlacing(string path) => Delete("placing", path);

        /// <summary>Removes a path from the remote tree.</summary>
        public void DeleteRemote(string path) => Delete("remote", path);

        /// <summary>Removes a path from the synced base.</summary>
        public void DeleteBase(string path) => Delete("base", path);

        /// <summary>Removes a path from the local tree.</summary>
        public void DeleteLocal(string path) => Delete("local", path);

        void PutItem(string table, ItemState item)
        {
            var cmd = Command($"INSERT OR REPLACE INTO {table}(path, kind, version, size, chunks, exec, mtime) VALUES ($p, $k, $v, $s, $c, $e, $m)");
            Set(cmd, "$p", item.Path);
            Set(cmd, "$k", (int)item.Kind);
            Set(cmd, "$v", item.Version);
            Set(cmd, "$s", item.Size);
            Set(cmd, "$c", string.Join(',', item.Chunks));
            Set(cmd, "$e", item.Executable ? 1 : 0);
            Set(cmd, "$m", item.Mtime is { } m ? m.ToString("O", CultureInfo.InvariantCulture) : DBNull.Value);
            cmd.ExecuteNonQuery();
        }

        /// <summary>Upserts into the local tree.</summary>
        public void PutLocal(LocalState item)
        {
            var cmd = Command("INSERT OR REPLACE INTO local(path, kind, size, mtime_ns, inode, exec, chunks) VALUES ($p, $k, $s, $m, $i, $e, $c)");
            Set(cmd, "$p", item.Path);
            Set(cmd, "$k", (int)item.Kind);
            Set(cmd, "$s", item.Size);
            Set(cmd, "$m", item.MtimeNs);
            Set(cmd, "$i", unchecked((long)item.Inode));
            Set(cmd, "$e", item.Executable ? 1 : 0);
            Set(cmd, "$c", string.Join(',', item.Chunks.Select(c => c.Hash + ":" + c.Length.ToString(CultureInfo.InvariantCulture))));
            cmd.ExecuteNonQuery();
        }

        /// <summary>Records a path the server rejected (not retried until its content changes).</summary>
        public void PutRejected(string path, string signature, string reason)
        {
            var cmd = Command("INSERT OR REPLACE INTO rejected(path, signature, reason) VALUES ($p, $s, $r)");
            Set(cmd, "$p", path);
            Set(cmd, "$s", signature);
            Set(cmd, "$r", reason);
            cmd.ExecuteNonQuery();
        }

        /// <summary>Forgets a rejection.</summary>
        public void DeleteRejected(string path) => Delete("rejected", path);

        void Delete(string table, string path)
        {
            var cmd = Command($"DELETE FROM {table} WHERE path = $p");
            Set(cmd, "$p", path);
            cmd.ExecuteNonQuery();
        }

        /// <summary>Sets the log cursor.</summary>
        public void SetCursor(long cursor) => SetMeta("cursor", cursor.ToString(CultureInfo.InvariantCulture));

        /// <summary>Writes a meta value in this transaction.</summary>
        public void SetMeta(string key, string value)
        {
            var cmd = Command("INSERT INTO meta(key, value) VALUES ($k, $v) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
            Set(cmd, "$k", key);
            Set(cmd, "$v", value);
            cmd.ExecuteNonQuery();
        }

        /// <summary>Commits.</summary>
        public void Commit() => _tx.Commit();

        /// <inheritdoc/>
        public void Dispose()
        {
            foreach (var cmd in _commands.Values) cmd.Dispose();
            _tx.Dispose();
        }
    }

    static IReadOnlyList<string> SplitHashes(string s) => s.Length == 0 ? [] : s.Split(',');

    // "hash:len,hash:len"; a hash equal to the one at the same position of `share` reuses that string.
    static IReadOnlyList<ChunkRef> SplitChunkRefs(string s, IReadOnlyList<string>? share = null)
    {
        if (s.Length == 0) return [];
        var count = 1;
        foreach (var ch in s) if (ch == ',') count++;
        var result = new ChunkRef[count];
        var rest = s.AsSpan();
        for (var i = 0; i < count; i++)
        {
            var comma = rest.IndexOf(',');
            var part = comma < 0 ? rest : rest[..comma];
            var colon = part.IndexOf(':');
            var hashSpan = part[..colon];
            var hash = share is not null && i < share.Count && hashSpan.SequenceEqual(share[i]) ? share[i] : hashSpan.ToString();
            result[i] = new ChunkRef(hash, int.Parse(part[(colon + 1)..], CultureInfo.InvariantCulture));
            rest = comma < 0 ? [] : rest[(comma + 1)..];
        }
        return result;
    }

    /// <inheritdoc/>
    public void Dispose() => _db.Dispose();

    /// <summary>Throws a <see cref="ClientException"/> for an index that cannot even be created.</summary>
    /// <summary>The index cannot be opened or written, for a reason that is not corruption: said as such (0715).</summary>
    internal static IndexUnavailableException Unavailable(string directory, Exception e) => IndexFailure.Describe(directory, e);
}
