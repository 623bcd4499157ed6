-- W3 casework: children and families, consent, consultations, plans, follow-ups,
-- referrals, handovers, ecomap, indicators. Everything here is 要配慮個人情報.
CREATE TABLE children (
    id                  TEXT PRIMARY KEY,
    tenant_id           TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name                TEXT NOT NULL,
    reading             TEXT NOT NULL,
    birth_date          TEXT NOT NULL,
    sex                 TEXT NOT NULL,
    disease_group       BIGINT NOT NULL,
    disease_name        TEXT NOT NULL,
    certificate_number  TEXT NOT NULL,
    certificate_from    TEXT,
    certificate_to      TEXT,
    certified_at_18     BIGINT NOT NULL,
    school              TEXT NOT NULL,
    grade               TEXT NOT NULL,
    workplace           TEXT NOT NULL,
    medical_care        TEXT NOT NULL,
    household_notes     TEXT NOT NULL,
    status              TEXT NOT NULL,
    version             BIGINT NOT NULL,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
CREATE INDEX children_tenant_reading ON children (tenant_id, reading);
CREATE INDEX children_tenant_cert ON children (tenant_id, certificate_to);
CREATE INDEX children_tenant_birth ON children (tenant_id, birth_date);

CREATE TABLE family_members (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    child_id    TEXT NOT NULL REFERENCES children(id) ON DELETE CASCADE,
    relation    TEXT NOT NULL,
    name        TEXT NOT NULL,
    birth_date  TEXT,
    phone       TEXT NOT NULL,
    is_guardian BIGINT NOT NULL,
    supported   BIGINT NOT NULL,
    notes       TEXT NOT NULL,
    position    BIGINT NOT NULL
);
CREATE INDEX family_members_child ON family_members (child_id, position);

CREATE TABLE child_workers (
    tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    child_id     TEXT NOT NULL REFERENCES children(id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    is_primary   BIGINT NOT NULL,
    assigned_at  TEXT NOT NULL,
    PRIMARY KEY (child_id, user_id)
);
CREATE INDEX child_workers_user ON child_workers (user_id, child_id);

CREATE TABLE consents (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    child_id       TEXT NOT NULL REFERENCES children(id) ON DELETE CASCADE,
    agency_id      TEXT NOT NULL REFERENCES agencies(id),
    purpose        TEXT NOT NULL,
    items          TEXT NOT NULL,
    valid_from     TEXT NOT NULL,
    valid_to       TEXT,
    method         TEXT NOT NULL,
    given_by       TEXT NOT NULL,
    recorded_by    TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    revoked_at     TEXT,
    revoked_by     TEXT,
    revoke_reason  TEXT NOT NULL
);
CREATE INDEX consents_child ON consents (child_id, agency_id);

CREATE TABLE consultations (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    child_id     TEXT NOT NULL REFERENCES children(id) ON DELETE CASCADE,
    at           TEXT NOT NULL,
    method       TEXT NOT NULL,
    kind         TEXT NOT NULL,
    participants TEXT NOT NULL,
    topics       TEXT NOT NULL,
    minutes      BIGINT NOT NULL,
    destination  TEXT NOT NULL,
    notes        TEXT NOT NULL,
    next_action  TEXT NOT NULL,
    worker_id    TEXT NOT NULL,
    worker_name  TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX consultations_child_at ON consultations (child_id, at);
CREATE INDEX consultations_tenant_at ON consultations (tenant_id, at);

CREATE TABLE support_plans (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    child_id         TEXT NOT NULL REFERENCES children(id) ON DELETE CASCADE,
    revision         BIGINT NOT NULL,
    child_words      TEXT NOT NULL,
    guardian_words   TEXT NOT NULL,
    long_term_goal   TEXT NOT NULL,
    short_term_goals TEXT NOT NULL,
    review_date      TEXT,
    actions          TEXT NOT NULL,
    note             TEXT NOT NULL,
    created_by       TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    UNIQUE (child_id, revision)
);

CREATE TABLE follow_ups (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    child_id     TEXT NOT NULL REFERENCES children(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    due_date     TEXT NOT NULL,
    note         TEXT NOT NULL,
    assigned_to  TEXT,
    done_at      TEXT,
    done_by      TEXT,
    created_at   TEXT NOT NULL
);
CREATE INDEX follow_ups_tenant_due ON follow_ups (tenant_id, done_at, due_date);
CREATE INDEX follow_ups_child ON follow_ups (child_id);

CREATE TABLE referrals (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    child_id      TEXT NOT NULL REFERENCES children(id) ON DELETE CASCADE,
    agency_id     TEXT NOT NULL REFERENCES agencies(id),
    purpose       TEXT NOT NULL,
    shared_items  TEXT NOT NULL,
    message       TEXT NOT NULL,
    status        TEXT NOT NULL,
    reason        TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    accepted_at   TEXT,
    closed_at     TEXT
);
CREATE INDEX referrals_tenant_status ON referrals (tenant_id, status);
CREATE INDEX referrals_agency ON referrals (agency_id, status);
CREATE INDEX referrals_child ON referrals (child_id);

CREATE TABLE referral_events (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    referral_id  TEXT NOT NULL REFERENCES referrals(id) ON DELETE CASCADE,
    at           TEXT NOT NULL,
    actor        TEXT NOT NULL,
    from_status  TEXT NOT NULL,
    to_status    TEXT NOT NULL,
    note         TEXT NOT NULL
);
CREATE INDEX referral_events_referral ON referral_events (referral_id, at);

CREATE TABLE handovers (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    child_id   TEXT NOT NULL REFERENCES children(id) ON DELETE CASCADE,
    from_user  TEXT NOT NULL,
    to_user    TEXT NOT NULL,
    note       TEXT NOT NULL,
    at         TEXT NOT NULL
);
CREATE INDEX handovers_child ON handovers (child_id, at);

CREATE TABLE ecomap_nodes (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    child_id         TEXT NOT NULL REFERENCES children(id) ON DELETE CASCADE,
    agency_id        TEXT,
    agency_name      TEXT NOT NULL,
    person_name      TEXT NOT NULL,
    affiliation      TEXT NOT NULL,
    contact          TEXT NOT NULL,
    when_to_contact  TEXT NOT NULL,
    strengths        TEXT NOT NULL,
    can_do           TEXT NOT NULL,
    field            TEXT NOT NULL,
    strength         BIGINT NOT NULL,
    created_at       TEXT NOT NULL
);
CREATE INDEX ecomap_nodes_child ON ecomap_nodes (child_id);

CREATE TABLE indicators (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    child_id     TEXT NOT NULL REFERENCES children(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    period       TEXT NOT NULL,
    value        BIGINT NOT NULL,
    note         TEXT NOT NULL,
    recorded_by  TEXT NOT NULL,
    recorded_at  TEXT NOT NULL
);
CREATE INDEX indicators_child ON indicators (child_id, kind, period);
