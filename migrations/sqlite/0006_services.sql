-- W4 item 8: 努力義務事業 (optional services) run by the tenant or a contractor:
-- services, their events or service slots with a capacity, and who took part
-- (the child, siblings, guardians). Participants are 要配慮個人情報 like the child record.
CREATE TABLE optional_services (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL,
    target       TEXT NOT NULL,
    contract_id  TEXT REFERENCES contracts(id),
    active       BIGINT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX optional_services_tenant ON optional_services (tenant_id, kind, name);
CREATE INDEX optional_services_contract ON optional_services (contract_id);

-- One event or service slot. date/start_time/end_time are as typed (JST);
-- starts_at is the same moment in UTC (RFC 3339), for ordering and the child's timeline.
CREATE TABLE service_events (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    service_id  TEXT NOT NULL REFERENCES optional_services(id) ON DELETE CASCADE,
    title       TEXT NOT NULL,
    date        TEXT NOT NULL,
    start_time  TEXT NOT NULL,
    end_time    TEXT NOT NULL,
    starts_at   TEXT NOT NULL,
    place       TEXT NOT NULL,
    capacity    BIGINT NOT NULL,
    notes       TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX service_events_service ON service_events (service_id, tenant_id, starts_at);
CREATE INDEX service_events_tenant ON service_events (tenant_id, date);

-- A person taking part: the child (person_key 'child') or a family member of the child
-- (a snapshot of relation and name: the child's family list is rewritten on each edit).
CREATE TABLE service_participants (
    id                TEXT PRIMARY KEY,
    tenant_id         TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    event_id          TEXT NOT NULL REFERENCES service_events(id) ON DELETE CASCADE,
    child_id          TEXT NOT NULL REFERENCES children(id) ON DELETE CASCADE,
    person_key        TEXT NOT NULL,
    person_kind       TEXT NOT NULL,
    relation          TEXT NOT NULL,
    person_name       TEXT NOT NULL,
    status            TEXT NOT NULL,
    note              TEXT NOT NULL,
    registered_by     TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    UNIQUE (event_id, child_id, person_key)
);
CREATE INDEX service_participants_child ON service_participants (child_id, tenant_id);
