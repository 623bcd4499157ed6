//! API bearer tokens: issued by POST /api/v1/auth/token, stored hashed, revocable.

use chrono::Duration;
use sqlx::Row;

use super::{random_token, sha256_hex, Ctx};
use crate::audit::{self, Entry};
use crate::db::Db;
use crate::error::AppResult;
use crate::time;

/// Tokens are valid for this many days unless revoked earlier (or asked for fewer).
pub const VALID_DAYS: i64 = 30;

/// What a token may do: `Read` tokens get 403 on every request that is not a read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Read,
    ReadWrite,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::ReadWrite => "read_write",
        }
    }

    /// `read`, `read_write` (also `read-write`, `write`); anything else is None.
    pub fn parse(s: &str) -> Option<Scope> {
        match s.trim() {
            "read" => Some(Scope::Read),
            "read_write" | "read-write" | "write" => Some(Scope::ReadWrite),
            _ => None,
        }
    }

    fn from_db(s: &str) -> Scope {
        // Unknown values read as the narrower scope.
        Scope::parse(s).unwrap_or(Scope::Read)
    }
}

pub struct Issued {
    pub token: String,
    pub expires_at: String,
    pub scope: Scope,
}

/// Issues a token of `scope` valid for `days` (1 to VALID_DAYS).
pub async fn issue(db: &Db, ctx: &Ctx, scope: Scope, days: i64) -> AppResult<Issued> {
    let days = days.clamp(1, VALID_DAYS);
    let token = format!("yb_{}", random_token());
    let id = uuid::Uuid::now_v7().to_string();
    let now = time::now_db();
    let expires_at = time::in_db(Duration::days(days));
    let mut tx = db.begin_write().await?;
    sqlx::query("INSERT INTO api_tokens (id, user_id, token_hash, created_at, expires_at, scope) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&id)
        .bind(&ctx.user_id)
        .bind(sha256_hex(&token))
        .bind(&now)
        .bind(&expires_at)
        .bind(scope.as_str())
        .execute(&mut *tx)
        .await?;
    audit::commit(
        tx,
        Entry::new(
            ctx,
            ctx.tenant_id.as_deref(),
            "auth.sign_in",
            "api_token",
            &id,
        )
        .detail(&format!("api: {}、{days}日", scope.as_str())),
    )
    .await?;
    Ok(Issued {
        token,
        expires_at,
        scope,
    })
}

/// A valid token's caller, id and scope.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub ctx: Ctx,
    pub token_id: String,
    pub scope: Scope,
}

/// Resolved tokens, remembered for `auth::REMEMBER`.
static CACHE: super::Remembered<Resolved> = super::Remembered::new();

/// Forgets every remembered token and session (after a revocation, a disabled user, a
/// new password).
pub fn forget_all() {
    CACHE.clear();
    super::session::forget_all();
}

/// The caller of a bearer token, when it is valid, unrevoked and its user active.
pub async fn resolve(db: &Db, token: &str) -> AppResult<Option<Resolved>> {
    let key = sha256_hex(token);
    if let Some(found) = CACHE.get(&key) {
        return Ok(Some(found));
    }
    let found = resolve_uncached(db, token).await?;
    if let Some(f) = &found {
        CACHE.insert(key, f.clone());
    }
    Ok(found)
}

async fn resolve_uncached(db: &Db, token: &str) -> AppResult<Option<Resolved>> {
    // One query for the token and its (active) user, who is not waiting to change a
    // password an administrator reset.
    let row = sqlx::query(&format!(
        "SELECT k.id AS token_id, k.expires_at, k.revoked_at, k.last_used_at, k.scope, {} JOIN api_tokens k ON k.user_id = u.id \
         WHERE k.token_hash = $1 AND u.disabled_at IS NULL AND u.must_change_password = 0",
        super::user::USER_COLS
    ))
    .bind(sha256_hex(token))
    .fetch_optional(&db.pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    if row.try_get::<Option<String>, _>("revoked_at")?.is_some() {
        return Ok(None);
    }
    let now = time::now();
    if time::from_db(row.try_get::<String, _>("expires_at")?.as_str())
        .map(|e| e <= now)
        .unwrap_or(true)
    {
        return Ok(None);
    }
    let id: String = row.try_get("token_id")?;
    let scope = Scope::from_db(&row.try_get::<String, _>("scope")?);
    let ctx = super::user::ctx_from_row(&row)?;
    let stale = row
        .try_get::<Option<String>, _>("last_used_at")?
        .and_then(|s| time::from_db(&s))
        .map(|l| now - l > Duration::seconds(60))
        .unwrap_or(true);
    if stale {
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(time::to_db(now))
            .bind(&id)
            .execute(&db.pool)
            .await?;
    }
    Ok(Some(Resolved {
        ctx,
        token_id: id,
        scope,
    }))
}

/// Revokes one token of the caller.
pub async fn revoke(db: &Db, ctx: &Ctx, token_id: &str) -> AppResult<()> {
    let mut tx = db.begin_write().await?;
    sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
        .bind(time::now_db())
        .bind(token_id)
        .bind(&ctx.user_id)
        .execute(&mut *tx)
        .await?;
    audit::commit(
        tx,
        Entry::new(
            ctx,
            ctx.tenant_id.as_deref(),
            "auth.sign_out",
            "api_token",
            token_id,
        )
        .detail("api"),
    )
    .await?;
    forget_all();
    Ok(())
}

/// Revokes every API token of a user still in force, inside the caller's write
/// (password change or reset, sign-out everywhere, disabling the user).
pub async fn revoke_all(tx: &mut crate::db::Tx, user_id: &str, now: &str) -> AppResult<()> {
    sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
