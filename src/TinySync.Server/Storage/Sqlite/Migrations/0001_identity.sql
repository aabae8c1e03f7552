-- 0001: device identity, vaults and containers, groups and their edges, the management audit record.
-- SQLite dialect. Ids are lowercase hyphenated UUID text; times are Unix microseconds (UTC).

CREATE TABLE devices (
    device_id       TEXT PRIMARY KEY,
    display_name    TEXT NOT NULL,
    credential_hash BLOB NOT NULL CHECK (length(credential_hash) = 32),
    registered_at   INTEGER NOT NULL,
    last_seen_at    INTEGER,
    revoked_at      INTEGER
) STRICT;

CREATE TABLE vaults (
    vault_id   TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    head_seq   INTEGER NOT NULL DEFAULT 0 CHECK (head_seq >= 0)
) STRICT;

CREATE TABLE containers (
    vault_id       TEXT NOT NULL REFERENCES vaults(vault_id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    namespace      TEXT NOT NULL,
    max_file_bytes INTEGER,
    read_only      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (vault_id, name)
) STRICT;

CREATE TABLE groups (
    group_id   TEXT PRIMARY KEY,
    name       TEXT,
    ecosystem  TEXT,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE group_devices (
    group_id  TEXT NOT NULL REFERENCES groups(group_id) ON DELETE CASCADE,
    device_id TEXT NOT NULL REFERENCES devices(device_id),
    added_at  INTEGER NOT NULL,
    PRIMARY KEY (group_id, device_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX group_devices_by_device ON group_devices(device_id, group_id);

CREATE TABLE group_vaults (
    group_id TEXT NOT NULL REFERENCES groups(group_id) ON DELETE CASCADE,
    vault_id TEXT NOT NULL REFERENCES vaults(vault_id) ON DELETE CASCADE,
    added_at INTEGER NOT NULL,
    PRIMARY KEY (group_id, vault_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX group_vaults_by_vault ON group_vaults(vault_id, group_id);

CREATE TABLE audit_log (
    seq    INTEGER PRIMARY KEY AUTOINCREMENT,
    at     INTEGER NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT
) STRICT;
