-- The playground's own catalog. TinySync never sees users or workspaces; this service maps them to devices,
-- groups and vaults. No token is ever stored here: user credentials as SHA-256 hashes, devices by id only.

CREATE TABLE users (
    user_id          TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    credential_hash  BLOB NOT NULL,          -- SHA-256 of the playground credential, never the credential
    created_at       TEXT NOT NULL,
    deleted_at       TEXT
);

CREATE TABLE workspaces (
    workspace_id  TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    group_id      TEXT NOT NULL UNIQUE,      -- the TinySync group of this workspace's members
    created_at    TEXT NOT NULL
);

CREATE TABLE memberships (
    user_id       TEXT NOT NULL REFERENCES users(user_id),
    workspace_id  TEXT NOT NULL REFERENCES workspaces(workspace_id),
    joined_at     TEXT NOT NULL,
    PRIMARY KEY (user_id, workspace_id)
);

-- user -> devices: the device id TinySync assigned; the token went to the user's app and nowhere else.
CREATE TABLE devices (
    device_id      TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users(user_id),
    display_name   TEXT NOT NULL,
    registered_at  TEXT NOT NULL,
    revoked_at     TEXT,
    revoke_reason  TEXT
);
CREATE INDEX devices_by_user ON devices(user_id);

-- workspace -> vaults: vault ids are chosen here (PUT /v1/vaults/{vid}) so creating one is safe to retry.
CREATE TABLE workspace_vaults (
    workspace_id  TEXT NOT NULL REFERENCES workspaces(workspace_id),
    vault_id      TEXT NOT NULL,
    name          TEXT NOT NULL,
    added_at      TEXT NOT NULL,
    PRIMARY KEY (workspace_id, vault_id)
);

-- Every accepted event, ecosystem or internal (workspace created, drive set up), once per id.
-- status: pending (TinySync not yet in line with it), applied, failed (a non-transient error; see last_error).
CREATE TABLE events (
    event_id     TEXT PRIMARY KEY,
    type         TEXT NOT NULL,
    body         TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    status       TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    applied_at   TEXT,
    last_error   TEXT
);
CREATE INDEX events_pending ON events(status, received_at);

-- Every management API call, as the client library's observer reported it: tokens already redacted.
CREATE TABLE call_log (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    at             TEXT NOT NULL,
    context        TEXT,                     -- the event id or action that made the call
    method         TEXT NOT NULL,
    path           TEXT NOT NULL,
    status         INTEGER,                  -- null: no answer (TinySync down)
    duration_ms    REAL NOT NULL,
    attempt        INTEGER NOT NULL,
    request_body   TEXT,
    response_body  TEXT,
    error          TEXT
);

-- What the service decided and why: 404/409 surprises, reconcile repairs, pending events applied.
CREATE TABLE activity (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    at       TEXT NOT NULL,
    level    TEXT NOT NULL,                  -- info, warning, error
    context  TEXT,
    message  TEXT NOT NULL
);
