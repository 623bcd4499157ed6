//! Sign-in throttling: every attempt is counted, per login (known or not) and per client
//! address, by ONE atomic upsert that also decides whether this attempt's password may
//! be checked. After `lim` checked failures in a row a key is slowed, not locked: each
//! further check must wait a growing delay (30 s, 1, 2, 4, then 5 minutes at most), and
//! the right password works again as soon as the wait has passed. Nobody can lock an
//! account for good, and the wait looks the same for logins that do not exist.
//!
//! Refused attempts are not audited one by one: a key's refusals write one audit entry
//! per window (15 minutes).

use sqlx::Row;

use crate::db::Db;
use crate::error::AppResult;

/// Checked failures of one login before it is slowed.
pub const ACCOUNT_LIMIT: i64 = 10;
/// Checked failures from one client address (many logins) before it is slowed. Higher:
/// a municipality's staff may all come through one proxy.
pub const ADDRESS_LIMIT: i64 = 50;
/// After this long without an attempt a key starts over; refusals are audited once per
/// window.
pub const WINDOW_MS: i64 = 15 * 60 * 1000;
/// The longest wait between two checks of a slowed key.
pub const MAX_WAIT_MS: i64 = 5 * 60 * 1000;

pub fn account_key(login: &str) -> String {
    format!("account:{login}")
}

pub fn address_key(addr: &str) -> String {
    format!("addr:{addr}")
}

/// What one attempt's upsert decided.
#[derive(Debug)]
pub struct Gate {
    /// Every key allows a check of the password now.
    pub allowed: bool,
    /// Seconds until a check is allowed again (when refused).
    pub wait_secs: i64,
    /// Keys whose refusal is the first of its window: audit these (with their count).
    pub audit: Vec<(String, i64)>,
    /// Failed attempts counted for the login (this one included).
    pub account_failures: i64,
}

/// The wait after the n-th checked failure at a key's limit and beyond.
fn ladder(n: &str) -> String {
    format!(
        "(CASE WHEN {n} - excluded.lim >= 4 THEN {MAX_WAIT_MS} WHEN {n} - excluded.lim = 3 THEN 240000 \
         WHEN {n} - excluded.lim = 2 THEN 120000 WHEN {n} - excluded.lim = 1 THEN 60000 ELSE 30000 END)"
    )
}

/// The upsert: $1/$2 the account key and its limit, $3/$4 the address key and its limit,
/// $5 now, $6 the start of the window (now − WINDOW_MS). Every right-hand side reads the
/// row as it was before this statement.
fn attempt_sql() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| {
        let stale = "login_throttle.updated_ms < $6";
        let prev_checked = format!("(CASE WHEN {stale} THEN 0 ELSE login_throttle.checked END)");
        let prev_failures = format!("(CASE WHEN {stale} THEN 0 ELSE login_throttle.failures END)");
        let open = "(login_throttle.next_ms IS NULL OR login_throttle.next_ms <= $5)";
        let first_refusal = "(login_throttle.audited_ms IS NULL OR login_throttle.audited_ms < $6)";
        let after = format!("({prev_checked} + 1)");
        format!(
            "INSERT INTO login_throttle (key, lim, failures, checked, next_ms, verdict, audited_ms, updated_ms) \
             VALUES ($1, $2, 1, 1, NULL, 0, NULL, $5), ($3, $4, 1, 1, NULL, 0, NULL, $5) \
             ON CONFLICT (key) DO UPDATE SET \
             failures = {prev_failures} + 1, \
             checked = {prev_checked} + (CASE WHEN {open} THEN 1 ELSE 0 END), \
             next_ms = (CASE WHEN NOT {open} THEN login_throttle.next_ms \
                        WHEN {after} >= excluded.lim THEN $5 + {ladder} ELSE NULL END), \
             verdict = (CASE WHEN {open} THEN 0 WHEN {first_refusal} THEN 1 ELSE 2 END), \
             audited_ms = (CASE WHEN NOT {open} AND {first_refusal} THEN $5 ELSE login_throttle.audited_ms END), \
             updated_ms = $5 \
             RETURNING key, verdict, next_ms, failures",
            ladder = ladder(&after),
        )
    })
}

fn now_ms() -> i64 {
    crate::time::now().timestamp_millis()
}

/// Counts one attempt of `login` from `addr` and says whether its password may be checked.
pub async fn attempt(db: &Db, login: &str, addr: &str) -> AppResult<Gate> {
    let now = now_ms();
    let account = account_key(login);
    let rows = sqlx::query(attempt_sql())
        .bind(&account)
        .bind(ACCOUNT_LIMIT)
        .bind(address_key(addr))
        .bind(ADDRESS_LIMIT)
        .bind(now)
        .bind(now - WINDOW_MS)
        .fetch_all(&db.pool)
        .await?;
    let mut gate = Gate {
        allowed: true,
        wait_secs: 0,
        audit: vec![],
        account_failures: 0,
    };
    for r in &rows {
        let key: String = r.try_get("key")?;
        let verdict: i64 = r.try_get("verdict")?;
        let next: Option<i64> = r.try_get("next_ms")?;
        let failures: i64 = r.try_get("failures")?;
        if key == account {
            gate.account_failures = failures;
        }
        if verdict != 0 {
            gate.allowed = false;
            let wait = (next.unwrap_or(now) - now + 999) / 1000;
            gate.wait_secs = gate.wait_secs.max(wait.max(1));
            if verdict == 1 {
                gate.audit.push((key, failures));
            }
        }
    }
    Ok(gate)
}

/// The password was right: the login starts over, and the address gets this attempt back.
pub async fn succeeded(db: &Db, login: &str, addr: &str) -> AppResult<()> {
    sqlx::query("DELETE FROM login_throttle WHERE key = $1")
        .bind(account_key(login))
        .execute(&db.pool)
        .await?;
    sqlx::query(
        "UPDATE login_throttle SET failures = failures - 1, checked = checked - 1 \
         WHERE key = $1 AND checked > 0",
    )
    .bind(address_key(addr))
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// The message for a refused attempt: the same whether the login exists or not.
pub fn wait_message(secs: i64) -> String {
    let when = if secs >= 60 {
        format!("{}分", (secs + 59) / 60)
    } else {
        format!("{secs}秒")
    };
    format!(
        "ログインの失敗が続いたため、一時的にロックしています。{when}ほど待ってから、もう一度お試しください。"
    )
}
