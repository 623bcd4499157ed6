-- Revision counters for the record page's cache (cases::store::RecordCache; PostgreSQL
-- only). children.record_rev changes in the same transaction as anything the record page
-- shows about that child besides the children row itself; tenants.record_rev changes
-- with anything it shows from the tenant's shared tables (staff, agencies, optional
-- services and their events and contracts). The triggers are statement-level with
-- transition tables, so a bulk import raises each counter once per statement.

ALTER TABLE children ADD COLUMN record_rev BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tenants ADD COLUMN record_rev BIGINT NOT NULL DEFAULT 0;

CREATE FUNCTION record_rev_child_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE children SET record_rev = record_rev + 1 WHERE id IN (SELECT child_id FROM n);
    RETURN NULL;
END $$;
CREATE FUNCTION record_rev_child_old() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE children SET record_rev = record_rev + 1 WHERE id IN (SELECT child_id FROM o);
    RETURN NULL;
END $$;
CREATE FUNCTION record_rev_child_both() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE children SET record_rev = record_rev + 1
     WHERE id IN (SELECT child_id FROM n UNION SELECT child_id FROM o);
    RETURN NULL;
END $$;

-- A referral's history belongs to the referral's child.
CREATE FUNCTION record_rev_referral_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE children SET record_rev = record_rev + 1
     WHERE id IN (SELECT r.child_id FROM referrals r WHERE r.id IN (SELECT referral_id FROM n));
    RETURN NULL;
END $$;
CREATE FUNCTION record_rev_referral_old() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE children SET record_rev = record_rev + 1
     WHERE id IN (SELECT r.child_id FROM referrals r WHERE r.id IN (SELECT referral_id FROM o));
    RETURN NULL;
END $$;
CREATE FUNCTION record_rev_referral_both() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE children SET record_rev = record_rev + 1
     WHERE id IN (SELECT r.child_id FROM referrals r
                   WHERE r.id IN (SELECT referral_id FROM n UNION SELECT referral_id FROM o));
    RETURN NULL;
END $$;

CREATE FUNCTION record_rev_tenant_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tenants SET record_rev = record_rev + 1 WHERE id IN (SELECT tenant_id FROM n);
    RETURN NULL;
END $$;
CREATE FUNCTION record_rev_tenant_old() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tenants SET record_rev = record_rev + 1 WHERE id IN (SELECT tenant_id FROM o);
    RETURN NULL;
END $$;
CREATE FUNCTION record_rev_tenant_both() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tenants SET record_rev = record_rev + 1
     WHERE id IN (SELECT tenant_id FROM n UNION SELECT tenant_id FROM o);
    RETURN NULL;
END $$;

DO $$
DECLARE
    t TEXT;
    kind TEXT;
BEGIN
    FOR t, kind IN VALUES
        ('family_members', 'child'), ('child_workers', 'child'), ('consents', 'child'),
        ('indicators', 'child'), ('follow_ups', 'child'), ('support_plans', 'child'),
        ('referrals', 'child'), ('handovers', 'child'), ('meetings', 'child'),
        ('service_participants', 'child'), ('consultations', 'child'),
        ('referral_events', 'referral'),
        ('users', 'tenant'), ('agencies', 'tenant'), ('optional_services', 'tenant'),
        ('service_events', 'tenant'), ('contracts', 'tenant')
    LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS n '
                       'FOR EACH STATEMENT EXECUTE FUNCTION record_rev_%s_new()',
                       t || '_record_rev_ins', t, kind);
        EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING NEW TABLE AS n OLD TABLE AS o '
                       'FOR EACH STATEMENT EXECUTE FUNCTION record_rev_%s_both()',
                       t || '_record_rev_upd', t, kind);
        EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS o '
                       'FOR EACH STATEMENT EXECUTE FUNCTION record_rev_%s_old()',
                       t || '_record_rev_del', t, kind);
    END LOOP;
END $$;
