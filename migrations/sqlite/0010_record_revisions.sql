-- Revision counters for the record page's cache (cases::store::RecordCache).
-- children.record_rev changes in the same transaction as anything the record page shows
-- about that child besides the children row itself; tenants.record_rev changes with
-- anything it shows from the tenant's shared tables (staff, agencies, optional services
-- and their events and contracts). Same counters as on PostgreSQL, with row triggers.

ALTER TABLE children ADD COLUMN record_rev BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tenants ADD COLUMN record_rev BIGINT NOT NULL DEFAULT 0;


CREATE TRIGGER family_members_record_rev_ins AFTER INSERT ON family_members BEGIN
    UPDATE children SET record_rev = record_rev + 1 WHERE id = NEW.child_id; END;
CREATE TRIGGER family_members_record_rev_upd AFTER UPDATE ON family_members BEGIN
    UPDATE children SET record_rev = record_rev + 1 WHERE id IN (NEW.child_id, OLD.child_id); END;
CREATE TRIGGER family_members_record_rev_del AFTER DELETE ON family_members BEGIN
    UPDATE children SET record_rev = record_rev + 1 WHERE id = OLD.child_id; END;

CREATE TRIGGER child_workers_record_rev_ins AFTER INSERT ON child_workers BEGIN
    UPDATE children SET record_rev = record_rev + 1 WHERE id = NEW.child_id; END;
CREATE TRIGGER child_workers_record_rev_upd AFTER UPDATE ON child_workers BEGIN
    UPDATE children SET record_rev = record_rev + 1 WHERE id IN (NEW.child_id, OLD.child_id); END;
CREATE TRIGGER child_workers_record_rev_del AFTER DELETE ON child_workers BEGIN
    UPDATE children SET record_rev = record_rev + 1 WHERE id = OLD.child_id; END;

CREATE TRIGGER consents_record_rev_ins AFTER INSERT ON consents BEGIN
    UPDATE children SET record_rev = record_rev + 1 WHERE id = NEW.child_id; END;
CREATE TRIGGER consents_record_rev_upd AFTER UPDATE ON consents BEGIN
    UPDATE children SET record_rev = record_rev + 1 WHERE id IN (NEW.child_id, OLD.child_id); END;
CREATE TRIGGER consents_record_rev_del AFTER DELETE ON consents BEGIN
    UPDATE children SET record_rev = record_rev + 1 WHERE id = OLD.child_id; END;

CREATE TRIGGER indicators_record_rev_ins AFTER INSERT ON indicators BEGIN
    UPDATE children SET record_rev = record_rev + 1 WHERE id = NEW.child_id; END;
CREATE TRIGGER indicators_record_rev_upd AFTER UPDATE ON indicators BEGIN
    UPDATE children SET record_rev = record_rev + 1 WHERE id IN (NEW.child_id, OLD.child_id); END;
CREATE TRIGGER indicators_record_rev_del AFTER DELETE ON indicators BEGIN
    UPDATE children SET record_rev = record_rev + 1 WHERE id = OLD.child_id; END;

CREATE TRIGGER follow_ups_record_rev_ins AFTER INSERT ON follow_ups BEGIN
    UPDATE children SET record_rev = record_rev + 1 WHERE id = NEW.child_id; END;
CREATE TRIGGER follow_ups_record_rev_upd AFTER UPDATE ON follow_ups BEGIN
    UPDATE children SET record_rev = record_rev + 1 WHERE id IN (NEW.child_id, OLD.child_id); END;
CREATE TRIGGER follow_ups_record_rev_del AFTER DELETE ON follow_ups BEGIN
    UPDATE children SET record_rev = record_rev + 1 WHERE id = OLD.child_id; END;

CREATE TRIGGER support_plans_record_rev_ins AFTER INSERT ON support_plans BEGIN
    UPDATE children SET record_rev = record_rev + 1 WHERE id = NEW.child_id; END;
CREATE TRIGGER support_plans_record_rev_upd AFTER UPDATE ON support_plans BEGIN
    UPDATE children SET record_rev = record_rev + 1 WHERE id IN (NEW.child_id, OLD.child_id); END;
CREATE TRIGGER support_plans_record_rev_del AFTER DELETE ON support_plans BEGIN
    UPDATE children SET record_rev = record_rev + 1 WHERE id = OLD.child_id; END;

CREATE TRIGGER referrals_record_rev_ins AFTER INSERT ON referrals BEGIN
    UPDATE children SET record_rev = record_rev + 1 WHERE id = NEW.child_id; END;
CREATE TRIGGER referrals_record_rev_upd AFTER UPDATE ON referrals BEGIN
    UPDATE children SET record_rev = record_rev + 1 WHERE id IN (NEW.child_id, OLD.child_id); END;
CREATE TRIGGER referrals_record_rev_del AFTER DELETE ON referrals BEGIN
    UPDATE children SET record_rev = record_rev + 1 WHERE id = OLD.child_id; END;

CREATE TRIGGER handovers_record_rev_ins AFTER INSERT ON handovers BEGIN
    UPDATE children SET record_rev = record_rev + 1 WHERE id = NEW.child_id; END;
CREATE TRIGGER handovers_record_rev_upd AFTER UPDATE ON handovers BEGIN
    UPDATE children SET record_rev = record_rev + 1 WHERE id IN (NEW.child_id, OLD.child_id); END;
CREATE TRIGGER handovers_record_rev_del AFTER DELETE ON handovers BEGIN
    UPDATE children SET record_rev = record_rev + 1 WHERE id = OLD.child_id; END;

CREATE TRIGGER meetings_record_rev_ins AFTER INSERT ON meetings BEGIN
    UPDATE children SET record_rev = record_rev + 1 WHERE id = NEW.child_id; END;
CREATE TRIGGER meetings_record_rev_upd AFTER UPDATE ON meetings BEGIN
    UPDATE children SET record_rev = record_rev + 1 WHERE id IN (NEW.child_id, OLD.child_id); END;
CREATE TRIGGER meetings_record_rev_del AFTER DELETE ON meetings BEGIN
    UPDATE children SET record_rev = record_rev + 1 WHERE id = OLD.child_id; END;

CREATE TRIGGER service_participants_record_rev_ins AFTER INSERT ON service_participants BEGIN
    UPDATE children SET record_rev = record_rev + 1 WHERE id = NEW.child_id; END;
CREATE TRIGGER service_participants_record_rev_upd AFTER UPDATE ON service_participants BEGIN
    UPDATE children SET record_rev = record_rev + 1 WHERE id IN (NEW.child_id, OLD.child_id); END;
CREATE TRIGGER service_participants_record_rev_del AFTER DELETE ON service_participants BEGIN
    UPDATE children SET record_rev = record_rev + 1 WHERE id = OLD.child_id; END;

CREATE TRIGGER consultations_record_rev_ins AFTER INSERT ON consultations BEGIN
    UPDATE children SET record_rev = record_rev + 1 WHERE id = NEW.child_id; END;
CREATE TRIGGER consultations_record_rev_upd AFTER UPDATE ON consultations BEGIN
    UPDATE children SET record_rev = record_rev + 1 WHERE id IN (NEW.child_id, OLD.child_id); END;
CREATE TRIGGER consultations_record_rev_del AFTER DELETE ON consultations BEGIN
    UPDATE children SET record_rev = record_rev + 1 WHERE id = OLD.child_id; END;

-- A referral's history belongs to the referral's child.
CREATE TRIGGER referral_events_record_rev_ins AFTER INSERT ON referral_events BEGIN
    UPDATE children SET record_rev = record_rev + 1
     WHERE id = (SELECT child_id FROM referrals WHERE id = NEW.referral_id); END;
CREATE TRIGGER referral_events_record_rev_upd AFTER UPDATE ON referral_events BEGIN
    UPDATE children SET record_rev = record_rev + 1
     WHERE id IN (SELECT child_id FROM referrals WHERE id IN (NEW.referral_id, OLD.referral_id)); END;
CREATE TRIGGER referral_events_record_rev_del AFTER DELETE ON referral_events BEGIN
    UPDATE children SET record_rev = record_rev + 1
     WHERE id = (SELECT child_id FROM referrals WHERE id = OLD.referral_id); END;

CREATE TRIGGER users_record_rev_ins AFTER INSERT ON users BEGIN
    UPDATE tenants SET record_rev = record_rev + 1 WHERE id = NEW.tenant_id; END;
CREATE TRIGGER users_record_rev_upd AFTER UPDATE ON users BEGIN
    UPDATE tenants SET record_rev = record_rev + 1 WHERE id IN (NEW.tenant_id, OLD.tenant_id); END;
CREATE TRIGGER users_record_rev_del AFTER DELETE ON users BEGIN
    UPDATE tenants SET record_rev = record_rev + 1 WHERE id = OLD.tenant_id; END;

CREATE TRIGGER agencies_record_rev_ins AFTER INSERT ON agencies BEGIN
    UPDATE tenants SET record_rev = record_rev + 1 WHERE id = NEW.tenant_id; END;
CREATE TRIGGER agencies_record_rev_upd AFTER UPDATE ON agencies BEGIN
    UPDATE tenants SET record_rev = record_rev + 1 WHERE id IN (NEW.tenant_id, OLD.tenant_id); END;
CREATE TRIGGER agencies_record_rev_del AFTER DELETE ON agencies BEGIN
    UPDATE tenants SET record_rev = record_rev + 1 WHERE id = OLD.tenant_id; END;

CREATE TRIGGER optional_services_record_rev_ins AFTER INSERT ON optional_services BEGIN
    UPDATE tenants SET record_rev = record_rev + 1 WHERE id = NEW.tenant_id; END;
CREATE TRIGGER optional_services_record_rev_upd AFTER UPDATE ON optional_services BEGIN
    UPDATE tenants SET record_rev = record_rev + 1 WHERE id IN (NEW.tenant_id, OLD.tenant_id); END;
CREATE TRIGGER optional_services_record_rev_del AFTER DELETE ON optional_services BEGIN
    UPDATE tenants SET record_rev = record_rev + 1 WHERE id = OLD.tenant_id; END;

CREATE TRIGGER service_events_record_rev_ins AFTER INSERT ON service_events BEGIN
    UPDATE tenants SET record_rev = record_rev + 1 WHERE id = NEW.tenant_id; END;
CREATE TRIGGER service_events_record_rev_upd AFTER UPDATE ON service_events BEGIN
    UPDATE tenants SET record_rev = record_rev + 1 WHERE id IN (NEW.tenant_id, OLD.tenant_id); END;
CREATE TRIGGER service_events_record_rev_del AFTER DELETE ON service_events BEGIN
    UPDATE tenants SET record_rev = record_rev + 1 WHERE id = OLD.tenant_id; END;

CREATE TRIGGER contracts_record_rev_ins AFTER INSERT ON contracts BEGIN
    UPDATE tenants SET record_rev = record_rev + 1 WHERE id = NEW.tenant_id; END;
CREATE TRIGGER contracts_record_rev_upd AFTER UPDATE ON contracts BEGIN
    UPDATE tenants SET record_rev = record_rev + 1 WHERE id IN (NEW.tenant_id, OLD.tenant_id); END;
CREATE TRIGGER contracts_record_rev_del AFTER DELETE ON contracts BEGIN
    UPDATE tenants SET record_rev = record_rev + 1 WHERE id = OLD.tenant_id; END;
