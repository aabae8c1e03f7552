-- 0001: device identity, vaults and containers, groups and their edges, the management audit record.
-- PostgreSQL dialect, twin of Sqlite/Migrations/0001_identity.sql. Ids are uuid; times are timestamptz (microseconds).
-- Text keys use COLLATE "C" so ORDER BY and keyset pagination (`> @after`) match SQLite's byte order on every node,
-- whatever the database's default collation.

CREATE TABLE devices (
    device_id       UUID PRIMARY KEY,
    display_name    TEXT NOT NULL,
    credential_hash BYTEA NOT NULL CHECK (length(credential_hash) = 32),
    registered_at   TIMESTAMPTZ NOT NULL,
    last_seen_at    TIMESTAMPTZ,
    revoked_at      TIMESTAMPTZ
);

CREATE TABLE vaults (
    vault_id   UUID PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    head_seq   BIGINT NOT NULL DEFAULT 0 CHECK (head_seq >= 0)
);

CREATE TABLE containers (
    vault_id       UUID NOT NULL REFERENCES vaults(vault_id) ON DELETE CASCADE,
    name           TEXT COLLATE "C" NOT NULL,
    namespace      TEXT NOT NULL,
    max_file_bytes BIGINT,
    read_only      BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (vault_id, name)
);

CREATE TABLE groups (
    group_id   TEXT COLLATE "C" PRIMARY KEY,
    name       TEXT,
    ecosystem  TEXT,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE group_devices (
    group_id  TEXT COLLATE "C" NOT NULL REFERENCES groups(group_id) ON DELETE CASCADE,
    device_id UUID NOT NULL REFERENCES devices(device_id),
    added_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (group_id, device_id)
);
CREATE INDEX group_devices_by_device ON group_devices(device_id, group_id);

CREATE TABLE group_vaults (
    group_id TEXT COLLATE "C" NOT NULL REFERENCES groups(group_id) ON DELETE CASCADE,
    vault_id UUID NOT NULL REFERENCES vaults(vault_id) ON DELETE CASCADE,
    added_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (group_id, vault_id)
);
CREATE INDEX group_vaults_by_vault ON group_vaults(vault_id, group_id);

-- detail is JSON text written by the server (TEXT, not JSONB: parameters are sent as text by every dialect).
CREATE TABLE audit_log (
    seq    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at     TIMESTAMPTZ NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT
);
