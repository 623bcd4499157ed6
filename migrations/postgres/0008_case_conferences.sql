-- W4 item 5: ケース会議 (case conferences) for one child. A conference is a meeting of
-- kind 'case_conference' with meetings.child_id set; it reuses the agenda, minutes,
-- decisions and action items (its outcomes) of meetings.
--
-- starts_at stays the local time as typed (JST, 2026-01-20T14:00) for every meeting;
-- starts_utc is the same moment in UTC (RFC 3339), for the child's timeline, which
-- orders and cuts everything else by UTC timestamps.
ALTER TABLE meetings ADD COLUMN starts_utc TEXT;
UPDATE meetings SET starts_utc = to_char(CAST(starts_at AS timestamp) - interval '9 hours', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
-- What the conference is for (required for conferences; empty for other meetings).
ALTER TABLE meetings ADD COLUMN purpose TEXT NOT NULL DEFAULT '';
-- The support plan revision the conference's outcomes were last reflected into.
ALTER TABLE meetings ADD COLUMN reflected_revision BIGINT;
CREATE INDEX meetings_child ON meetings (child_id, tenant_id, starts_at);

-- The plan revision an outcome (action item) was reflected into; NULL = not yet.
ALTER TABLE action_items ADD COLUMN plan_revision BIGINT;

-- Who takes part: staff of the tenant (user_id), the family (free text: 本人, 母 …),
-- and agencies (agency_id; only with the family's active consent for this child, checked
-- when added and again whenever the conference is shown).
CREATE TABLE conference_participants (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    meeting_id  TEXT NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    user_id     TEXT REFERENCES users(id) ON DELETE SET NULL,
    agency_id   TEXT REFERENCES agencies(id),
    name        TEXT NOT NULL,
    affiliation TEXT NOT NULL,
    attended    BIGINT NOT NULL,
    position    BIGINT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX conference_participants_meeting ON conference_participants (meeting_id, tenant_id, position);
