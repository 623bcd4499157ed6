-- W2 agency registry (関係機関台帳)
ALTER TABLE users ADD COLUMN agency_id TEXT;

-- A counter per tenant, bumped by every change to the registry; search indexes compare it.
CREATE TABLE registry_versions (
    tenant_id  TEXT PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    version    BIGINT NOT NULL
);

CREATE TABLE agency_fields (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    position   BIGINT NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE scenes (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    position   BIGINT NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE agencies (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    field           TEXT NOT NULL,
    name            TEXT NOT NULL,
    reading         TEXT NOT NULL,
    address         TEXT NOT NULL,
    overview        TEXT NOT NULL,
    url             TEXT NOT NULL,
    is_new          BIGINT NOT NULL,  -- 0 or 1 (BOOLEAN does not map through sqlx Any on SQLite)
    services        TEXT NOT NULL,
    strengths       TEXT NOT NULL,
    disease_groups  TEXT NOT NULL,
    age_min         BIGINT,
    age_max         BIGINT,
    hours           TEXT NOT NULL,
    notes           TEXT NOT NULL,
    search_doc      TEXT NOT NULL,
    sort_key        TEXT NOT NULL,
    dedup_key       TEXT NOT NULL,
    version         BIGINT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    deleted_at      TEXT
);
CREATE INDEX agencies_tenant_sort ON agencies (tenant_id, sort_key);
CREATE INDEX agencies_tenant_dedup ON agencies (tenant_id, dedup_key);

CREATE TABLE agency_contacts (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    agency_id   TEXT NOT NULL REFERENCES agencies(id) ON DELETE CASCADE,
    position    BIGINT NOT NULL,
    name        TEXT NOT NULL,
    department  TEXT NOT NULL,
    phone       TEXT NOT NULL,
    email       TEXT NOT NULL,
    best_time   TEXT NOT NULL
);
CREATE INDEX agency_contacts_agency ON agency_contacts (agency_id, position);

CREATE TABLE agency_scenes (
    tenant_id  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    scene_id   TEXT NOT NULL REFERENCES scenes(id) ON DELETE CASCADE,
    agency_id  TEXT NOT NULL REFERENCES agencies(id) ON DELETE CASCADE,
    method     TEXT NOT NULL,
    content    TEXT NOT NULL,
    PRIMARY KEY (scene_id, agency_id)
);
CREATE INDEX agency_scenes_agency ON agency_scenes (agency_id);

CREATE TABLE agency_history (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    agency_id   TEXT NOT NULL,
    version     BIGINT NOT NULL,
    action      TEXT NOT NULL,
    changed_at  TEXT NOT NULL,
    changed_by  TEXT NOT NULL,
    snapshot    TEXT NOT NULL
);
CREATE INDEX agency_history_agency ON agency_history (agency_id, changed_at);

CREATE TABLE related_programs (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    overview    TEXT NOT NULL,
    owner       TEXT NOT NULL,
    position    BIGINT NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE agency_programs (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    agency_id   TEXT NOT NULL REFERENCES agencies(id) ON DELETE CASCADE,
    program_id  TEXT NOT NULL REFERENCES related_programs(id) ON DELETE CASCADE,
    PRIMARY KEY (agency_id, program_id)
);

CREATE TABLE agency_proposals (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    agency_id    TEXT NOT NULL REFERENCES agencies(id) ON DELETE CASCADE,
    proposed_by  TEXT NOT NULL,
    proposed_at  TEXT NOT NULL,
    payload      TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    decided_by   TEXT,
    decided_at   TEXT,
    reason       TEXT NOT NULL
);
CREATE INDEX agency_proposals_tenant ON agency_proposals (tenant_id, status);

-- An uploaded file, parsed and checked, waiting for the user to commit it (preview).
CREATE TABLE import_batches (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    filename    TEXT NOT NULL,
    payload     TEXT NOT NULL,
    status      TEXT NOT NULL
);
