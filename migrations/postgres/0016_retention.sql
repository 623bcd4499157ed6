-- W8 item 6: retention of closed cases and the family's rights (privacy/).
-- How many years a tenant keeps a child's record after the case was closed (1–30).
ALTER TABLE tenants ADD COLUMN retention_years BIGINT NOT NULL DEFAULT 5 CHECK (retention_years BETWEEN 1 AND 30);
-- When the case was closed (終結; RFC 3339 UTC, NULL while support goes on) and why
-- (one of privacy::model::CLOSE_REASONS, never free text: it goes into the audit log).
-- children.status is 'active' or 'closed'.
ALTER TABLE children ADD COLUMN closed_at TEXT;
ALTER TABLE children ADD COLUMN close_reason TEXT NOT NULL DEFAULT '';
-- yorube purge looks for a tenant's closed cases by when they were closed.
CREATE INDEX children_tenant_closed ON children (tenant_id, status, closed_at);
