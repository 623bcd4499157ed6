-- W4 item 6: the training's pre/post questionnaire (研修会の事前・事後アンケート).
-- One survey per training with a snapshot of its question set (JSON), one public link
-- per phase (pre / post), and anonymous answers. W5 (surveys) can generalise these.
CREATE TABLE training_surveys (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    training_id  TEXT NOT NULL UNIQUE REFERENCES trainings(id) ON DELETE CASCADE,
    questions    TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

-- The token is kept so that staff can show and print the link again; lookups go by its
-- SHA-256 (token_hash), never by comparing the secret itself.
CREATE TABLE training_survey_links (
    survey_id    TEXT NOT NULL REFERENCES training_surveys(id) ON DELETE CASCADE,
    phase        TEXT NOT NULL,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    token        TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    is_open      BIGINT NOT NULL,
    opened_at    TEXT,
    closed_at    TEXT,
    PRIMARY KEY (survey_id, phase)
);

CREATE TABLE training_survey_answers (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    survey_id     TEXT NOT NULL REFERENCES training_surveys(id) ON DELETE CASCADE,
    phase         TEXT NOT NULL,
    field         TEXT NOT NULL,
    answers       TEXT NOT NULL,
    submitted_at  TEXT NOT NULL
);
CREATE INDEX training_survey_answers_survey ON training_survey_answers (survey_id, tenant_id, phase, submitted_at);
