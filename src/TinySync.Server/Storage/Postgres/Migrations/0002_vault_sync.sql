-- 0002: vault sync — live items, the per-vault change log, idempotency keys, chunk registrations.
-- PostgreSQL dialect, twin of Sqlite/Migrations/0002_vault_sync.sql. Ids are uuid; times are timestamptz; booleans
-- are boolean. Key columns compared as ranges or pages (path_key, new_path_key, container, hash) use COLLATE "C":
-- byte order, like SQLite's BINARY, whatever the database's default collation.
-- chunks columns hold a JSON text array (TEXT, not JSONB: the server parses it in C# and sends it as text).

CREATE TABLE items (
    vault_id   UUID NOT NULL REFERENCES vaults(vault_id) ON DELETE CASCADE,
    container  TEXT COLLATE "C" NOT NULL,
    path_key   TEXT COLLATE "C" NOT NULL,
    path       TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('file', 'dir')),
    version    BIGINT NOT NULL CHECK (version > 0),
    size       BIGINT,
    chunks     TEXT,
    executable BOOLEAN,
    mtime      TIMESTAMPTZ,
    PRIMARY KEY (vault_id, container, path_key)
);

CREATE TABLE change_log (
    vault_id     UUID NOT NULL REFERENCES vaults(vault_id) ON DELETE CASCADE,
    seq          BIGINT NOT NULL CHECK (seq > 0),
    op_id        UUID NOT NULL,
    device_id    UUID NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('put', 'mkdir', 'delete', 'move')),
    container    TEXT COLLATE "C" NOT NULL,
    path         TEXT NOT NULL,
    path_key     TEXT COLLATE "C" NOT NULL,
    new_path     TEXT,
    new_path_key TEXT COLLATE "C",
    size         BIGINT,
    chunks       TEXT,
    executable   BOOLEAN,
    mtime        TIMESTAMPTZ,
    committed_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (vault_id, seq)
);
CREATE INDEX change_log_by_path ON change_log(vault_id, container, path_key, seq);
CREATE INDEX change_log_by_new_path ON change_log(vault_id, container, new_path_key, seq) WHERE new_path_key IS NOT NULL;
CREATE INDEX change_log_by_time ON change_log(vault_id, committed_at);

CREATE TABLE idempotency_keys (
    vault_id  UUID NOT NULL REFERENCES vaults(vault_id) ON DELETE CASCADE,
    device_id UUID NOT NULL,
    op_id     UUID NOT NULL,
    seq       BIGINT NOT NULL,
    result    TEXT NOT NULL,
    PRIMARY KEY (vault_id, device_id, op_id)
);

CREATE TABLE chunks (
    hash      TEXT COLLATE "C" PRIMARY KEY CHECK (length(hash) = 64),
    size      BIGINT NOT NULL CHECK (size >= 0),
    stored_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE vault_chunks (
    vault_id      UUID NOT NULL REFERENCES vaults(vault_id) ON DELETE CASCADE,
    hash          TEXT COLLATE "C" NOT NULL REFERENCES chunks(hash),
    registered_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (vault_id, hash)
);
CREATE INDEX vault_chunks_by_hash ON vault_chunks(hash);
