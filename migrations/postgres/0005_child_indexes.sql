-- Indexes that lead with the child and include the tenant: queries of one child's
-- records filter on both, and without planner statistics SQLite would otherwise pick a
-- tenant-wide index and scan every record of the tenant.
DROP INDEX consultations_child_at;
CREATE INDEX consultations_child_tenant_at ON consultations (child_id, tenant_id, at);
DROP INDEX follow_ups_child;
CREATE INDEX follow_ups_child_tenant ON follow_ups (child_id, tenant_id, done_at);
DROP INDEX referrals_child;
CREATE INDEX referrals_child_tenant ON referrals (child_id, tenant_id);
CREATE INDEX referral_events_tenant_referral ON referral_events (referral_id, tenant_id, at);
