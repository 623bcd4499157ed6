-- W8: the second factor (TOTP, RFC 6238) and its recovery codes; a tenant may require
-- it of every user (administrators always need it).
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_enabled_at TEXT;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN totp_last_addr TEXT NOT NULL DEFAULT '';
ALTER TABLE tenants ADD COLUMN require_totp BIGINT NOT NULL DEFAULT 0;
CREATE TABLE totp_recovery_codes (
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash   TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    used_at     TEXT,
    PRIMARY KEY (user_id, code_hash)
);
