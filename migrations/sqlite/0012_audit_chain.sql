-- W8 keyed audit chain (SQLite): each entry's link becomes an HMAC under a key kept
-- outside the database (src/audit/key.rs). Entries before this migration keep their
-- plain SHA-256 links; the keyed chain starts at keyed_from. The chain gets an id, so
-- that checkpoints (a signed file beside the key) name the chain they are about.
ALTER TABLE audit_log ADD COLUMN key_id TEXT;
ALTER TABLE audit_head ADD COLUMN chain_id TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_head ADD COLUMN keyed_from BIGINT NOT NULL DEFAULT 1;
UPDATE audit_head SET chain_id = lower(hex(randomblob(16))), keyed_from = seq + 1 WHERE id = 1;

-- The head only moves forward: a sequence number is never given out twice, and the
-- chain's id and the start of the keyed chain never change.
CREATE TRIGGER audit_head_forward BEFORE UPDATE ON audit_head
WHEN NEW.seq < OLD.seq OR NEW.chain_id <> OLD.chain_id OR NEW.keyed_from <> OLD.keyed_from
BEGIN SELECT RAISE(ABORT, 'audit_head only moves forward'); END;
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
BEGIN SELECT RAISE(ABORT, 'audit_head only moves forward'); END;
CREATE TRIGGER audit_head_no_insert BEFORE INSERT ON audit_head
BEGIN SELECT RAISE(ABORT, 'audit_head only moves forward'); END;
