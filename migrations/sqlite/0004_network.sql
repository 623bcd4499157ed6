-- W4 collaboration network and meetings: goals, councils, meetings, trainings, contracts
CREATE TABLE collaboration_goals (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    version      BIGINT NOT NULL,
    to_be        TEXT NOT NULL,
    as_is        TEXT NOT NULL,
    purposes     TEXT NOT NULL,
    hub_agency_id TEXT,
    hub_people   TEXT NOT NULL,
    note         TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    UNIQUE (tenant_id, version)
);

CREATE TABLE councils (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    purpose     TEXT NOT NULL,
    department  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX councils_tenant ON councils (tenant_id, name);

CREATE TABLE council_members (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    council_id      TEXT NOT NULL REFERENCES councils(id) ON DELETE CASCADE,
    person_name     TEXT NOT NULL,
    agency_id       TEXT,
    affiliation     TEXT NOT NULL,
    field           TEXT NOT NULL,
    specialty       TEXT NOT NULL,
    role            TEXT NOT NULL,
    term_from       TEXT,
    term_to         TEXT,
    other_councils  BIGINT NOT NULL,
    observer        BIGINT NOT NULL,
    position        BIGINT NOT NULL
);
CREATE INDEX council_members_council ON council_members (council_id, position);

CREATE TABLE meetings (
    id                TEXT PRIMARY KEY,
    tenant_id         TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    council_id        TEXT REFERENCES councils(id) ON DELETE CASCADE,
    child_id          TEXT REFERENCES children(id) ON DELETE CASCADE,
    kind              TEXT NOT NULL,
    title             TEXT NOT NULL,
    starts_at         TEXT NOT NULL,
    duration_minutes  BIGINT NOT NULL,
    place             TEXT NOT NULL,
    online            BIGINT NOT NULL,
    agenda            TEXT NOT NULL,
    attendance        TEXT NOT NULL,
    minutes           TEXT NOT NULL,
    decisions         TEXT NOT NULL,
    created_by        TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX meetings_tenant ON meetings (tenant_id, starts_at);

CREATE TABLE action_items (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    meeting_id   TEXT NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    description  TEXT NOT NULL,
    owner        TEXT NOT NULL,
    due_date     TEXT,
    status       TEXT NOT NULL,
    done_at      TEXT,
    created_at   TEXT NOT NULL
);
CREATE INDEX action_items_tenant ON action_items (tenant_id, status, due_date);

CREATE TABLE trainings (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    title         TEXT NOT NULL,
    date          TEXT NOT NULL,
    place         TEXT NOT NULL,
    curriculum    TEXT NOT NULL,
    scenarios     TEXT NOT NULL,
    participants  TEXT NOT NULL,
    notes         TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX trainings_tenant ON trainings (tenant_id, date);

CREATE TABLE contracts (
    id                TEXT PRIMARY KEY,
    tenant_id         TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    contractor_name   TEXT NOT NULL,
    agency_id         TEXT,
    period_from       TEXT NOT NULL,
    period_to         TEXT NOT NULL,
    services          TEXT NOT NULL,
    price             BIGINT NOT NULL,
    subsidy_percent   BIGINT NOT NULL,
    committee_id      TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);

ALTER TABLE users ADD COLUMN contract_id TEXT;

CREATE TABLE monthly_reports (
    id                 TEXT PRIMARY KEY,
    tenant_id          TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    contract_id        TEXT NOT NULL REFERENCES contracts(id) ON DELETE CASCADE,
    month              TEXT NOT NULL,
    children_count     BIGINT NOT NULL,
    families_count     BIGINT NOT NULL,
    consultations      BIGINT NOT NULL,
    support_summary    TEXT NOT NULL,
    changes            TEXT NOT NULL,
    meetings_held      TEXT NOT NULL,
    status             TEXT NOT NULL,
    return_reason      TEXT NOT NULL,
    submitted_by       TEXT,
    submitted_at       TEXT,
    decided_by         TEXT,
    decided_at         TEXT,
    created_at         TEXT NOT NULL,
    UNIQUE (contract_id, month)
);
