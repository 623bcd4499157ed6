//! A signed-in user's own account: changing their password, the list of their sessions
//! and "sign out everywhere", and the notices left after any change of their
//! credentials (shown in every page's header until read).

use sqlx::Row;

use super::{password, sha256_hex, Ctx};
use crate::audit::{self, Entry};
use crate::db::{Db, Tx};
use crate::error::AppResult;
use crate::{time, AppError};

/// Leaves the user a notice inside the caller's transaction.
pub async fn notify(tx: &mut Tx, user_id: &str, message: &str) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO account_notices (id, user_id, message, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(user_id)
    .bind(message)
    .bind(time::now_db())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The user's own new password. The current one is checked (behind the verifier's
/// permits), the new one must follow the rules and differ from it. Every other session of
/// the user ends, every API token is revoked, the forced change (if any) is done, and a
/// notice is left. `keep_session` is the SHA-256 of the session that asked.
pub async fn change_password(
    db: &Db,
    ctx: &Ctx,
    current: &str,
    new: &str,
    keep_session: Option<&str>,
) -> AppResult<()> {
    let row = sqlx::query("SELECT password_hash FROM users WHERE id = $1 AND disabled_at IS NULL")
        .bind(&ctx.user_id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or(AppError::NotFound)?;
    let hash: String = row.try_get("password_hash")?;
    if current.is_empty() || !password::verify_limited(db, current, &hash).await? {
        return Err(AppError::invalid(
            "current",
            "今のパスワードが正しくありません。",
        ));
    }
    if current == new {
        return Err(AppError::invalid(
            "password",
            "今と同じパスワードは使えません。新しいパスワードを決めてください。",
        ));
    }
    password::check_strength(new, &ctx.login).map_err(|m| AppError::invalid("password", m))?;
    let new_hash = password::hash_blocking(new).await?;
    let now = time::now_db();
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "UPDATE users SET password_hash = $1, must_change_password = 0, updated_at = $2 WHERE id = $3",
    )
    .bind(&new_hash)
    .bind(&now)
    .bind(&ctx.user_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
        .bind(&ctx.user_id)
        .bind(keep_session.unwrap_or(""))
        .execute(&mut *tx)
        .await?;
    super::token::revoke_all(&mut tx, &ctx.user_id, &now).await?;
    notify(
        &mut tx,
        &ctx.user_id,
        &format!(
            "{}にパスワードを変更しました。ほかの端末のログインとAPIトークンは無効になりました。心当たりがない場合は、すぐに事業担当者へ連絡してください。",
            time::format_datetime(&now)
        ),
    )
    .await?;
    audit::commit(
        tx,
        Entry::new(
            ctx,
            ctx.tenant_id.as_deref(),
            "user.change_password",
            "user",
            &ctx.user_id,
        )
        .detail(&ctx.login),
    )
    .await?;
    super::token::forget_all();
    Ok(())
}

/// One of the user's sessions, for the list.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub created_at: String,
    pub last_seen_at: String,
    pub address: String,
    pub user_agent: String,
    pub current: bool,
}

/// The user's sessions, newest first; `current` is the cookie token of the one asking.
pub async fn sessions(db: &Db, ctx: &Ctx, current: Option<&str>) -> AppResult<Vec<SessionInfo>> {
    let current = current.map(sha256_hex).unwrap_or_default();
    let rows = sqlx::query(
        "SELECT token_hash, created_at, last_seen_at, address, user_agent FROM sessions \
         WHERE user_id = $1 ORDER BY created_at DESC",
    )
    .bind(&ctx.user_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(SessionInfo {
                current: r.try_get::<String, _>("token_hash")? == current,
                created_at: time::format_datetime(&r.try_get::<String, _>("created_at")?),
                last_seen_at: time::format_datetime(&r.try_get::<String, _>("last_seen_at")?),
                address: r
                    .try_get::<Option<String>, _>("address")?
                    .unwrap_or_else(|| "（不明）".into()),
                user_agent: r
                    .try_get::<Option<String>, _>("user_agent")?
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| "（不明）".into()),
            })
        })
        .collect()
}

/// Ends every session of the user (this one too) and revokes their API tokens.
pub async fn end_everywhere(db: &Db, ctx: &Ctx) -> AppResult<u64> {
    let now = time::now_db();
    let mut tx = db.begin_write().await?;
    let ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(&ctx.user_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    super::token::revoke_all(&mut tx, &ctx.user_id, &now).await?;
    notify(
        &mut tx,
        &ctx.user_id,
        &format!(
            "{}に、すべての端末からログアウトしました（{ended}件）。APIトークンも無効になりました。",
            time::format_datetime(&now)
        ),
    )
    .await?;
    audit::commit(
        tx,
        Entry::new(
            ctx,
            ctx.tenant_id.as_deref(),
            "auth.sign_out_everywhere",
            "user",
            &ctx.user_id,
        )
        .detail(&format!("{ended}件のセッション")),
    )
    .await?;
    super::token::forget_all();
    Ok(ended)
}

/// A notice about the user's credentials.
#[derive(Debug, Clone)]
pub struct Notice {
    pub id: String,
    pub message: String,
    pub at: String,
    pub unread: bool,
}

/// The user's newest notices (at most 20).
pub async fn notices(db: &Db, ctx: &Ctx) -> AppResult<Vec<Notice>> {
    let rows = sqlx::query(
        "SELECT id, message, created_at, read_at FROM account_notices WHERE user_id = $1 \
         ORDER BY created_at DESC LIMIT 20",
    )
    .bind(&ctx.user_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Notice {
                id: r.try_get("id")?,
                message: r.try_get("message")?,
                at: time::format_datetime(&r.try_get::<String, _>("created_at")?),
                unread: r.try_get::<Option<String>, _>("read_at")?.is_none(),
            })
        })
        .collect()
}

/// Marks every notice of the user read.
pub async fn mark_read(db: &Db, ctx: &Ctx) -> AppResult<()> {
    sqlx::query("UPDATE account_notices SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL")
        .bind(time::now_db())
        .bind(&ctx.user_id)
        .execute(&db.pool)
        .await?;
    super::session::forget_all();
    Ok(())
}
