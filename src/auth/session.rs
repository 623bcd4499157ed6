//! Sign-in and server-side sessions. The cookie holds a random token; the database
//! holds only its SHA-256, the CSRF token for the session's forms, and its idle expiry.

use chrono::Duration;
use sqlx::Row;

use super::{password, random_token, sha256_hex, Ctx};
use crate::audit::{self, Entry};
use crate::db::Db;
use crate::error::AppResult;
use crate::text::clean_login;
use crate::{time, AppError};

pub const COOKIE: &str = "yorube_session";
/// Failed attempts in a row before an account is locked for LOCK_MINUTES.
pub const MAX_FAILURES: i64 = 10;
pub const LOCK_MINUTES: i64 = 15;
/// Sessions end after this long in any case.
pub const ABSOLUTE_HOURS: i64 = 12;

pub const MSG_INVALID: &str = "ログインIDまたはパスワードが正しくありません。";

/// Checks a login and password. Every failure is audited; the message never says
/// whether the login exists.
pub async fn authenticate(
    db: &Db,
    login: &str,
    password_in: &str,
    channel: &str,
) -> AppResult<Ctx> {
    let login = clean_login(login);
    if login.is_empty() || password_in.is_empty() {
        return Err(AppError::Unauthorized(
            "ログインIDとパスワードを入力してください。".into(),
        ));
    }
    let row = sqlx::query(
        "SELECT id, tenant_id, password_hash, disabled_at, failed_logins, locked_until FROM users WHERE login = $1",
    )
    .bind(&login)
    .fetch_optional(&db.pool)
    .await?;
    let Some(row) = row else {
        // Same work as a real check, so timing does not tell which logins exist.
        let _ = password::verify(password_in, password::dummy_hash());
        audit::record(
            db,
            Entry::anonymous(&login, None, "auth.sign_in_failed", "user", "-")
                .detail(&format!("{channel}: 未登録のログインID")),
        )
        .await?;
        return Err(AppError::Unauthorized(MSG_INVALID.into()));
    };
    let id: String = row.get("id");
    let tenant_id: Option<String> = row.get("tenant_id");
    let hash: String = row.get("password_hash");
    let disabled: Option<String> = row.get("disabled_at");
    let failed: i64 = row.get("failed_logins");
    let locked_until: Option<String> = row.get("locked_until");
    let now = time::now();
    if let Some(until) = locked_until.as_deref().and_then(time::from_db) {
        if until > now {
            let mins = ((until - now).num_seconds() + 59) / 60;
            audit::record(
                db,
                Entry::anonymous(
                    &login,
                    tenant_id.as_deref(),
                    "auth.sign_in_failed",
                    "user",
                    &id,
                )
                .detail(&format!("{channel}: ロック中")),
            )
            .await?;
            return Err(AppError::Unauthorized(format!(
                "ログインに続けて失敗したため、このアカウントは一時的にロックされています。{mins}分後にもう一度お試しください。"
            )));
        }
    }
    if !password::verify(password_in, &hash) {
        let failed = failed + 1;
        let lock = (failed >= MAX_FAILURES).then(|| time::in_db(Duration::minutes(LOCK_MINUTES)));
        let mut tx = db.begin_write().await?;
        sqlx::query("UPDATE users SET failed_logins = $1, locked_until = $2 WHERE id = $3")
            .bind(if lock.is_some() { 0 } else { failed })
            .bind(&lock)
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        audit::append(
            &mut tx,
            Entry::anonymous(
                &login,
                tenant_id.as_deref(),
                "auth.sign_in_failed",
                "user",
                &id,
            )
            .detail(&format!("{channel}: パスワード誤り（{failed}回目）")),
        )
        .await?;
        tx.commit().await?;
        return Err(AppError::Unauthorized(MSG_INVALID.into()));
    }
    if disabled.is_some() {
        audit::record(
            db,
            Entry::anonymous(
                &login,
                tenant_id.as_deref(),
                "auth.sign_in_failed",
                "user",
                &id,
            )
            .detail(&format!("{channel}: 無効なアカウント")),
        )
        .await?;
        return Err(AppError::Unauthorized(
            "このアカウントは無効になっています。事業担当者にお問い合わせください。".into(),
        ));
    }
    let ctx = super::user::load_ctx(db, &id)
        .await?
        .ok_or_else(|| AppError::Unauthorized(MSG_INVALID.into()))?;
    if failed > 0 {
        sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
            .bind(&id)
            .execute(&db.pool)
            .await?;
    }
    Ok(ctx)
}

pub struct NewSession {
    pub token: String,
    pub csrf: String,
}

/// Starts a session for a signed-in user and audits the sign-in.
pub async fn start(db: &Db, ctx: &Ctx, idle_minutes: i64) -> AppResult<NewSession> {
    let token = random_token();
    let csrf = random_token();
    let now = time::now_db();
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at) \
         VALUES ($1, $2, $3, $4, $4, $5)",
    )
    .bind(sha256_hex(&token))
    .bind(&ctx.user_id)
    .bind(&csrf)
    .bind(&now)
    .bind(time::in_db(Duration::minutes(idle_minutes)))
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

pub enum Lookup {
    Active { ctx: Ctx, csrf: String },
    Expired,
    Missing,
}

/// A session found in the database, remembered for `auth::REMEMBER`.
#[derive(Clone)]
struct Cached {
    ctx: Ctx,
    csrf: String,
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
            });
        }
    }
    lookup_uncached(db, &th, idle_minutes).await
}

async fn lookup_uncached(db: &Db, th: &str, idle_minutes: i64) -> AppResult<Lookup> {
    // One query for the session and its (active) user.
    let row = sqlx::query(&format!(
        "SELECT s.csrf_token, s.created_at AS session_created_at, s.last_seen_at, s.expires_at, {} \
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
    let expires = time::from_db(row.get::<String, _>("expires_at").as_str());
    let created = time::from_db(row.get::<String, _>("session_created_at").as_str());
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
    let csrf: String = row.get("csrf_token");
    let mut expires = expires.unwrap_or(now);
    let last_seen = time::from_db(row.get::<String, _>("last_seen_at").as_str());
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
            expires,
            created: created.unwrap_or(now),
        },
    );
    Ok(Lookup::Active { ctx, csrf })
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
