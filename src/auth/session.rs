//! Sign-in and server-side sessions. The cookie holds a random token; the database
//! holds only its SHA-256, the CSRF token for the session's forms, and its idle expiry.

use chrono::Duration;
use sqlx::Row;

use super::{password, random_token, sha256_hex, throttle, Ctx};
use crate::audit::{self, Entry};
use crate::db::Db;
use crate::error::AppResult;
use crate::text::clean_login;
use crate::{time, AppError};

pub const COOKIE: &str = "yorube_session";
/// Checked failures in a row of one login before it is slowed (auth::throttle).
pub const MAX_FAILURES: i64 = super::throttle::ACCOUNT_LIMIT;
/// Sessions end after this long in any case.
pub const ABSOLUTE_HOURS: i64 = 12;

pub const MSG_INVALID: &str = "ログインIDまたはパスワードが正しくありません。";

/// A checked login and password.
pub struct SignedIn {
    pub ctx: Ctx,
    /// An administrator reset the password: the user must choose a new one first.
    pub must_change_password: bool,
    /// The second factor is required of the user but not set up yet: the browser is
    /// sent to set it up first; no API token is issued.
    pub must_enrol_totp: bool,
}

pub const MSG_OTP_NEEDED: &str =
    "2段階認証の確認コード（認証アプリに表示される6桁の数字）を入力してください。";
pub const MSG_OTP_WRONG: &str = "確認コードが正しくありません。認証アプリに表示されている6桁の数字か、回復コードを入れてください。";

/// Checks a login and password from the client address `addr`.
///
/// Every attempt is counted first (auth::throttle: one atomic upsert per attempt, per
/// login and per address); a slowed key is refused without looking at the password, with
/// a message that does not depend on whether the login exists. Then the password is
/// checked against the user's hash, or a dummy hash for an unknown login, on a blocking
/// thread behind a few permits (429 when they are all taken). Every other failure —
/// unknown login, wrong password, disabled account (whatever the password) — gets the one
/// message `MSG_INVALID`, and is audited; refusals of a slowed key are audited once per
/// key and window.
pub async fn authenticate(
    db: &Db,
    login: &str,
    password_in: &str,
    otp: &str,
    channel: &str,
    addr: &str,
) -> AppResult<SignedIn> {
    let login = clean_login(login);
    if login.is_empty() || password_in.is_empty() {
        return Err(AppError::Unauthorized(
            "ログインIDとパスワードを入力してください。".into(),
        ));
    }
    if password_in.chars().count() > crate::validate::PASSWORD_MAX_CHARS || login.len() > 200 {
        return Err(AppError::Unauthorized(MSG_INVALID.into()));
    }
    // A place in the verifier's queue first: beyond it, 429 without any database work.
    let place = password::admit(db)?;
    let gate = throttle::attempt(db, &login, addr).await?;
    if !gate.allowed {
        for (key, failures) in &gate.audit {
            let what = if key.starts_with("addr:") {
                "接続元"
            } else {
                "ログインID"
            };
            audit::record(
                db,
                Entry::anonymous(&login, None, "auth.sign_in_throttled", "user", "-").detail(
                    &format!(
                        "{channel}: {what}の試行を制限中（{failures}回目の失敗、接続元 {addr}）。この後15分間の拒否は記録しません"
                    ),
                ),
            )
            .await?;
        }
        return Err(AppError::Unauthorized(throttle::wait_message(
            gate.wait_secs,
        )));
    }
    let row = sqlx::query(
        "SELECT id, tenant_id, password_hash, disabled_at, must_change_password FROM users WHERE login = $1",
    )
    .bind(&login)
    .fetch_optional(&db.pool)
    .await?;
    let user = match &row {
        Some(r) => Some((
            r.try_get::<String, _>("id")?,
            r.try_get::<Option<String>, _>("tenant_id")?,
            r.try_get::<String, _>("password_hash")?,
            r.try_get::<Option<String>, _>("disabled_at")?.is_some(),
            r.try_get::<i64, _>("must_change_password")? != 0,
        )),
        None => None,
    };
    // The same work whether the login exists or not, so timing tells nothing.
    let hash = match &user {
        Some((_, _, h, _, _)) => h.as_str(),
        None => password::dummy_hash_blocking().await?,
    };
    let ok = password::verify_admitted(db, &place, password_in, hash).await?;
    drop(place);
    let failed = |tenant: Option<&str>, id: &str, why: String| {
        Entry::anonymous(&login, tenant, "auth.sign_in_failed", "user", id)
            .detail(&format!("{channel}: {why}（接続元 {addr}）"))
    };
    let Some((id, tenant_id, _, disabled, must_change)) = user else {
        audit::record(db, failed(None, "-", "未登録のログインID".into())).await?;
        return Err(AppError::Unauthorized(MSG_INVALID.into()));
    };
    if disabled {
        audit::record(
            db,
            failed(tenant_id.as_deref(), &id, "無効なアカウント".into()),
        )
        .await?;
        return Err(AppError::Unauthorized(MSG_INVALID.into()));
    }
    if !ok {
        audit::record(
            db,
            failed(
                tenant_id.as_deref(),
                &id,
                format!("パスワード誤り（{}回目）", gate.account_failures),
            ),
        )
        .await?;
        return Err(AppError::Unauthorized(MSG_INVALID.into()));
    }
    // The second factor, once the password is right (a wrong code counts as a failure).
    let factor = super::totp::factor(db, &id).await?;
    if factor.secret.is_some() {
        if otp.trim().is_empty() {
            return Err(AppError::Unauthorized(MSG_OTP_NEEDED.into()));
        }
        if !super::totp::check(db, &id, &factor, otp, addr).await? {
            audit::record(
                db,
                failed(
                    tenant_id.as_deref(),
                    &id,
                    "確認コード（2段階認証）の誤り".into(),
                ),
            )
            .await?;
            return Err(AppError::Unauthorized(MSG_OTP_WRONG.into()));
        }
    }
    throttle::succeeded(db, &login, addr).await?;
    let ctx = super::user::load_ctx(db, &id)
        .await?
        .ok_or_else(|| AppError::Unauthorized(MSG_INVALID.into()))?;
    let tenant_requires = super::totp::tenant_requires(db, &ctx).await?;
    Ok(SignedIn {
        must_enrol_totp: factor.secret.is_none()
            && super::totp::required(ctx.role, tenant_requires),
        ctx,
        must_change_password: must_change,
    })
}

pub struct NewSession {
    pub token: String,
    pub csrf: String,
}

/// Starts a session for a signed-in user (from `addr`, with the browser `user_agent`) and
/// audits the sign-in.
pub async fn start(
    db: &Db,
    ctx: &Ctx,
    idle_minutes: i64,
    addr: &str,
    user_agent: &str,
) -> AppResult<NewSession> {
    let token = random_token();
    let csrf = random_token();
    let now = time::now_db();
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at, address, user_agent) \
         VALUES ($1, $2, $3, $4, $4, $5, $6, $7)",
    )
    .bind(sha256_hex(&token))
    .bind(&ctx.user_id)
    .bind(&csrf)
    .bind(&now)
    .bind(time::in_db(Duration::minutes(idle_minutes)))
    .bind(addr)
    .bind(user_agent.chars().take(200).collect::<String>())
    .execute(&mut *tx)
    .await?;
    audit::commit(
        tx,
        Entry::new(
            ctx,
            ctx.tenant_id.as_deref(),
            "auth.sign_in",
            "user",
            &ctx.user_id,
        )
        .detail("web"),
    )
    .await?;
    Ok(NewSession { token, csrf })
}

#[allow(clippy::large_enum_variant)] // made once per request, never stored
pub enum Lookup {
    Active {
        ctx: Ctx,
        csrf: String,
        must_change_password: bool,
        must_enrol_totp: bool,
        unread_notices: i64,
    },
    Expired,
    Missing,
}

/// A session found in the database, remembered for `auth::REMEMBER`.
#[derive(Clone)]
struct Cached {
    ctx: Ctx,
    csrf: String,
    must_change_password: bool,
    must_enrol_totp: bool,
    unread_notices: i64,
    expires: chrono::DateTime<chrono::Utc>,
    created: chrono::DateTime<chrono::Utc>,
}

static CACHE: super::Remembered<Cached> = super::Remembered::new();

/// Forgets every remembered session (after a sign-out elsewhere, a disabled user, a
/// new password).
pub fn forget_all() {
    CACHE.clear();
}

/// Finds the session of a cookie token, and slides its idle expiry forward (at most
/// once a minute, to keep reads cheap).
pub async fn lookup(db: &Db, token: &str, idle_minutes: i64) -> AppResult<Lookup> {
    let th = sha256_hex(token);
    if let Some(c) = CACHE.get(&th) {
        let now = time::now();
        if c.expires > now && now - c.created <= Duration::hours(ABSOLUTE_HOURS) {
            return Ok(Lookup::Active {
                ctx: c.ctx,
                csrf: c.csrf,
                must_change_password: c.must_change_password,
                must_enrol_totp: c.must_enrol_totp,
                unread_notices: c.unread_notices,
            });
        }
    }
    lookup_uncached(db, &th, idle_minutes).await
}

async fn lookup_uncached(db: &Db, th: &str, idle_minutes: i64) -> AppResult<Lookup> {
    // One query for the session and its (active) user.
    let row = sqlx::query(&format!(
        "SELECT s.csrf_token, s.created_at AS session_created_at, s.last_seen_at, s.expires_at, \
         u.must_change_password, CASE WHEN u.totp_enabled_at IS NULL THEN 1 ELSE 0 END AS totp_missing, COALESCE(t.require_totp, 0) AS tenant_requires_totp, \
         (SELECT COUNT(*) FROM account_notices n WHERE n.user_id = u.id AND n.read_at IS NULL) AS unread_notices, {} \
         JOIN sessions s ON s.user_id = u.id WHERE s.token_hash = $1 AND u.disabled_at IS NULL",
        super::user::USER_COLS
    ))
    .bind(th)
    .fetch_optional(&db.pool)
    .await?;
    let Some(row) = row else {
        return Ok(Lookup::Missing);
    };
    let now = time::now();
    let expires = time::from_db(row.try_get::<String, _>("expires_at")?.as_str());
    let created = time::from_db(row.try_get::<String, _>("session_created_at")?.as_str());
    let too_old = created
        .map(|c| now - c > Duration::hours(ABSOLUTE_HOURS))
        .unwrap_or(true);
    if expires.map(|e| e <= now).unwrap_or(true) || too_old {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(th)
            .execute(&db.pool)
            .await?;
        return Ok(Lookup::Expired);
    }
    let ctx = super::user::ctx_from_row(&row)?;
    let csrf: String = row.try_get("csrf_token")?;
    let must_change_password = row.try_get::<i64, _>("must_change_password")? != 0;
    // Who needs a second factor is `totp::required`'s rule, here as at sign-in.
    let must_enrol_totp = row.try_get::<i64, _>("totp_missing")? != 0
        && super::totp::required(
            ctx.role,
            row.try_get::<i64, _>("tenant_requires_totp")? != 0,
        );
    let unread_notices: i64 = row.try_get("unread_notices")?;
    let mut expires = expires.unwrap_or(now);
    let last_seen = time::from_db(row.try_get::<String, _>("last_seen_at")?.as_str());
    if last_seen
        .map(|l| now - l > Duration::seconds(60))
        .unwrap_or(true)
    {
        expires = now + Duration::minutes(idle_minutes);
        sqlx::query("UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE token_hash = $3")
            .bind(time::to_db(now))
            .bind(time::to_db(expires))
            .bind(th)
            .execute(&db.pool)
            .await?;
    }
    CACHE.insert(
        th.to_string(),
        Cached {
            ctx: ctx.clone(),
            csrf: csrf.clone(),
            must_change_password,
            must_enrol_totp,
            unread_notices,
            expires,
            created: created.unwrap_or(now),
        },
    );
    Ok(Lookup::Active {
        ctx,
        csrf,
        must_change_password,
        must_enrol_totp,
        unread_notices,
    })
}

/// Ends a session (sign-out) and audits it.
pub async fn end(db: &Db, ctx: &Ctx, token: &str) -> AppResult<()> {
    CACHE.remove(&sha256_hex(token));
    let mut tx = db.begin_write().await?;
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(sha256_hex(token))
        .execute(&mut *tx)
        .await?;
    audit::commit(
        tx,
        Entry::new(
            ctx,
            ctx.tenant_id.as_deref(),
            "auth.sign_out",
            "user",
            &ctx.user_id,
        )
        .detail("web"),
    )
    .await?;
    CACHE.remove(&sha256_hex(token));
    Ok(())
}
