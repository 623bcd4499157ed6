-- W6: saved scenarios of the outsourcing cost comparison (委託の費用比較), and the
-- indexes the activity statistics read by.
CREATE TABLE cost_scenarios (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    inputs      TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX cost_scenarios_tenant ON cost_scenarios (tenant_id, created_at);
CREATE INDEX referrals_tenant_created ON referrals (tenant_id, created_at);
CREATE INDEX follow_ups_tenant_due_only ON follow_ups (tenant_id, due_date);
CREATE INDEX support_plans_tenant_created ON support_plans (tenant_id, created_at);
