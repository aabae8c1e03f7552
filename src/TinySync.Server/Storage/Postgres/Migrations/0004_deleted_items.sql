-- 0004: deleted items — what a delete removed, so it can be listed and restored for the retention window (0321).
-- PostgreSQL dialect, twin of Sqlite/Migrations/0004_deleted_items.sql. One row per file a delete removed (the file
-- itself, or every file under a deleted directory), copied from items inside the delete's transaction.
CREATE TABLE deleted_items (
    vault_id    UUID NOT NULL REFERENCES vaults(vault_id) ON DELETE CASCADE,
    deleted_seq BIGINT NOT NULL CHECK (deleted_seq > 0),
    container   TEXT COLLATE "C" NOT NULL,
    path_key    TEXT COLLATE "C" NOT NULL,
    path        TEXT NOT NULL,
    version     BIGINT NOT NULL CHECK (version > 0),
    size        BIGINT NOT NULL,
    chunks      TEXT NOT NULL,
    executable  BOOLEAN,
    mtime       TIMESTAMPTZ,
    deleted_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (vault_id, deleted_seq, container, path_key)
);
CREATE INDEX deleted_items_by_path ON deleted_items(vault_id, container, path_key, deleted_seq);
CREATE INDEX deleted_items_by_time ON deleted_items(deleted_at);
