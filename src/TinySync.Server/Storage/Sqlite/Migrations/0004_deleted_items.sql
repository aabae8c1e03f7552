-- 0004: deleted items — what a delete removed, so it can be listed and restored for the retention window (0321).
-- SQLite dialect, twin of Postgres/Migrations/0004_deleted_items.sql. One row per file a delete removed (the file
-- itself, or every file under a deleted directory), copied from items inside the delete's transaction.
CREATE TABLE deleted_items (
    vault_id    TEXT NOT NULL REFERENCES vaults(vault_id) ON DELETE CASCADE,
    deleted_seq INTEGER NOT NULL CHECK (deleted_seq > 0),
    container   TEXT NOT NULL,
    path_key    TEXT NOT NULL,
    path        TEXT NOT NULL,
    version     INTEGER NOT NULL CHECK (version > 0),
    size        INTEGER NOT NULL,
    chunks      TEXT NOT NULL,
    executable  INTEGER,
    mtime       INTEGER,
    deleted_at  INTEGER NOT NULL,
    PRIMARY KEY (vault_id, deleted_seq, container, path_key)
) STRICT, WITHOUT ROWID;
CREATE INDEX deleted_items_by_path ON deleted_items(vault_id, container, path_key, deleted_seq);
CREATE INDEX deleted_items_by_time ON deleted_items(deleted_at);
