-- W5: the survey engine (実態把握調査 and any other questionnaire). A survey's questions
-- are data (JSON, surveys::engine::def); every version that answers were given to is
-- kept in survey_versions, and an answer names the version it answered.
CREATE TABLE surveys (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    title            TEXT NOT NULL,
    -- 問い合わせ先 on the handout and the answer page (e.g. 〇〇市保健所 保健予防課 電話 …)
    contact          TEXT NOT NULL DEFAULT '',
    -- needs (実態把握調査) | training | other
    purpose          TEXT NOT NULL,
    -- 1: no invitation, account or address is kept with an answer
    anonymous        BIGINT NOT NULL,
    -- 1: only a personal invitation code opens the form (one answer a code)
    invitation_only  BIGINT NOT NULL,
    version          BIGINT NOT NULL,
    definition       TEXT NOT NULL,
    -- draft | open | closed
    status           TEXT NOT NULL,
    opens_on         TEXT,
    closes_on        TEXT,
    -- the public link /s/{token}; looked up by its SHA-256
    token            TEXT NOT NULL,
    token_hash       TEXT NOT NULL UNIQUE,
    copied_from      TEXT,
    created_by       TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX surveys_tenant ON surveys (tenant_id, created_at);

CREATE TABLE survey_versions (
    survey_id   TEXT NOT NULL REFERENCES surveys(id) ON DELETE CASCADE,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    version     BIGINT NOT NULL,
    definition  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (survey_id, version)
);

-- Personal invitation codes: printed on a letter (e.g. with the 受給者証 renewal notice);
-- the label (who it went to) stays with the staff, never with the answer.
CREATE TABLE survey_invitations (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    survey_id    TEXT NOT NULL REFERENCES surveys(id) ON DELETE CASCADE,
    code         TEXT NOT NULL,
    code_hash    TEXT NOT NULL,
    label        TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    used_at      TEXT,
    UNIQUE (survey_id, code_hash)
);

-- One row an answer. `submission` is the key the form carried (one per page shown), so
-- the same form sent twice (the back button, a retry after a dropped network) is one answer.
CREATE TABLE survey_responses (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    survey_id      TEXT NOT NULL REFERENCES surveys(id) ON DELETE CASCADE,
    version        BIGINT NOT NULL,
    submission     TEXT NOT NULL,
    -- web | paper (keyed in by staff) | file (imported from the public instance)
    source         TEXT NOT NULL,
    answers        TEXT NOT NULL,
    entered_by     TEXT,
    submitted_at   TEXT NOT NULL,
    UNIQUE (survey_id, submission)
);
CREATE INDEX survey_responses_survey ON survey_responses (tenant_id, survey_id, submitted_at);
