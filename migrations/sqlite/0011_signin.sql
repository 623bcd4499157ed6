-- W8 sign-in (issue 17 item 1): throttling per account and per client address, forced
-- password change, sessions one can list, API tokens with scope, in-app notices.

-- One row per throttled key ('account:LOGIN' for any login, known or not, and
-- 'addr:ADDRESS'), counted by one atomic upsert per attempt (auth/throttle.rs).
-- Times are milliseconds since the epoch. failures: attempts in the window; checked:
-- attempts whose password was checked; next_ms: no check before then; verdict: what the
-- last upsert decided (0 checked, 1 refused and audited, 2 refused silently);
-- audited_ms: when a refusal was last audited (one audit row per key per window).
CREATE TABLE login_throttle (
    key         TEXT PRIMARY KEY,
    lim         BIGINT NOT NULL,
    failures    BIGINT NOT NULL,
    checked     BIGINT NOT NULL,
    next_ms     BIGINT,
    verdict     BIGINT NOT NULL DEFAULT 0,
    audited_ms  BIGINT,
    updated_ms  BIGINT NOT NULL
);

-- Set by an administrator's reset: every page sends the user to /account/password.
ALTER TABLE users ADD COLUMN must_change_password BIGINT NOT NULL DEFAULT 0;

-- What the list of one's sessions shows.
ALTER TABLE sessions ADD COLUMN user_agent TEXT;
ALTER TABLE sessions ADD COLUMN address TEXT;

-- 'read' tokens may only read; tokens issued before this migration keep writing.
ALTER TABLE api_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'read_write';

-- Notices shown in the app after a change of one's credentials (password, tokens,
-- sessions ended), until the user has seen them.
CREATE TABLE account_notices (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    message     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    read_at     TEXT
);
CREATE INDEX account_notices_user ON account_notices (user_id, read_at);
