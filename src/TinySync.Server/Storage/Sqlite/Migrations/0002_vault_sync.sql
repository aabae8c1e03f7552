-- 0002: vault sync — live items, the per-vault change log, idempotency keys, chunk registrations.
-- SQLite dialect. Ids are lowercase hyphenated UUID text; times are Unix microseconds (UTC); booleans are 0/1.
-- path_key = VaultPath.Key(path) (case-folded). Subtree queries are key ranges ('P/' <= key < 'P0', '0' being the
-- byte after '/'), so key comparisons must be byte order: SQLite's BINARY collation here, COLLATE "C" in PostgreSQL.
-- chunks columns hold a JSON text array of lowercase SHA-256 hex hashes (garbage collection parses them in C#, so
-- no JSON function of either database is needed).

-- The live items of every container: at most one per (vault, container, case-folded path).
CREATE TABLE items (
    vault_id   TEXT NOT NULL REFERENCES vaults(vault_id) ON DELETE CASCADE,
    container  TEXT NOT NULL,
    path_key   TEXT NOT NULL,
    path       TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('file', 'dir')),
    version    INTEGER NOT NULL CHECK (version > 0),
    size       INTEGER,
    chunks     TEXT,
    executable INTEGER,
    mtime      INTEGER,
    PRIMARY KEY (vault_id, container, path_key)
) STRICT, WITHOUT ROWID;

-- Append-only, dense seq from 1 per vault (vaults.head_seq is the last one). One row per committed op; a move of a
-- whole subtree is one row.
CREATE TABLE change_log (
    vault_id     TEXT NOT NULL REFERENCES vaults(vault_id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL CHECK (seq > 0),
    op_id        TEXT NOT NULL,
    device_id    TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('put', 'mkdir', 'delete', 'move')),
    container    TEXT NOT NULL,
    path         TEXT NOT NULL,
    path_key     TEXT NOT NULL,
    new_path     TEXT,
    new_path_key TEXT,
    size         INTEGER,
    chunks       TEXT,
    executable   INTEGER,
    mtime        INTEGER,
    committed_at INTEGER NOT NULL,
    PRIMARY KEY (vault_id, seq)
) STRICT, WITHOUT ROWID;
-- History of one path: rows that changed it, and moves that landed on it.
CREATE INDEX change_log_by_path ON change_log(vault_id, container, path_key, seq);
CREATE INDEX change_log_by_new_path ON change_log(vault_id, container, new_path_key, seq) WHERE new_path_key IS NOT NULL;
-- Garbage collection reads the rows inside the retention window.
CREATE INDEX change_log_by_time ON change_log(vault_id, committed_at);

-- Exactly-once: the committed result of every op, by the device that sent it. Only committed results are kept; a
-- conflict or rejection changed nothing and is evaluated again on retry.
CREATE TABLE idempotency_keys (
    vault_id  TEXT NOT NULL REFERENCES vaults(vault_id) ON DELETE CASCADE,
    device_id TEXT NOT NULL,
    op_id     TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    result    TEXT NOT NULL,
    PRIMARY KEY (vault_id, device_id, op_id)
) STRICT, WITHOUT ROWID;

-- Chunks stored physically (once, whatever number of vaults hold them).
CREATE TABLE chunks (
    hash      TEXT PRIMARY KEY CHECK (length(hash) = 64),
    size      INTEGER NOT NULL CHECK (size >= 0),
    stored_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Which vault may see which chunk. A device can only read, probe or reference the chunks of vaults it reaches.
CREATE TABLE vault_chunks (
    vault_id      TEXT NOT NULL REFERENCES vaults(vault_id) ON DELETE CASCADE,
    hash          TEXT NOT NULL REFERENCES chunks(hash),
    registered_at INTEGER NOT NULL,
    PRIMARY KEY (vault_id, hash)
) STRICT, WITHOUT ROWID;
CREATE INDEX vault_chunks_by_hash ON vault_chunks(hash);
