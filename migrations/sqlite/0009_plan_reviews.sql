-- The follow-up list finds the plans whose review is due across a tenant: without this
-- index it read every plan of every tenant (seconds once plans number in the 100,000s).
CREATE INDEX support_plans_tenant_review ON support_plans (tenant_id, review_date);
