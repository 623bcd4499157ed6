-- W8 keyed audit chain (PostgreSQL): each entry's link becomes an HMAC under a key kept
-- outside the database (src/audit/key.rs). Entries before this migration keep their
-- plain SHA-256 links; the keyed chain starts at keyed_from. The chain gets an id, so
-- that checkpoints (a signed file beside the key) name the chain they are about.
ALTER TABLE audit_log ADD COLUMN key_id TEXT;
ALTER TABLE audit_head ADD COLUMN chain_id TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_head ADD COLUMN keyed_from BIGINT NOT NULL DEFAULT 1;
UPDATE audit_head SET chain_id = md5(random()::text || clock_timestamp()::text), keyed_from = seq + 1 WHERE id = 1;

-- TRUNCATE fires no row trigger: a statement trigger refuses it.
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- The head only moves forward: a sequence number is never given out twice, and the
-- chain's id and the start of the keyed chain never change. (WHEN is checked without
-- calling the function, so the write path's `SET seq = seq` costs nothing more.)
CREATE TRIGGER audit_head_forward BEFORE UPDATE ON audit_head
    FOR EACH ROW WHEN (NEW.seq < OLD.seq OR NEW.chain_id <> OLD.chain_id OR NEW.keyed_from <> OLD.keyed_from)
    EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_head_no_delete BEFORE DELETE OR INSERT ON audit_head
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
