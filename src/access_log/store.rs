//! Reading the audit log: the newest entries of the caller's tenant.

use serde::Serialize;
use sqlx::Row;

use crate::auth::{policy, Action, Ctx};
use crate::db::Db;
use crate::error::AppResult;

#[derive(Debug, Clone, Serialize)]
pub struct LogEntry {
    pub seq: i64,
    pub at: String,
    pub tenant_id: Option<String>,
    pub actor: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub detail: String,
    pub hash: String,
}

fn log_from_row(r: &sqlx::any::AnyRow) -> AppResult<LogEntry> {
    Ok(LogEntry {
        seq: r.try_get("seq")?,
        at: r.try_get("at")?,
        tenant_id: r.try_get("tenant_id")?,
        actor: r.try_get("actor")?,
        action: r.try_get("action")?,
        entity_type: r.try_get("entity_type")?,
        entity_id: r.try_get("entity_id")?,
        detail: r.try_get("detail")?,
        hash: r.try_get("hash")?,
    })
}

/// The newest entries of the caller's tenant (system administrators: all), newest first,
/// before sequence number `before` when given.
pub async fn list(db: &Db, ctx: &Ctx, before: Option<i64>, limit: i64) -> AppResult<Vec<LogEntry>> {
    policy::require(ctx, Action::ViewAudit)?;
    let before = before.unwrap_or(i64::MAX);
    let limit = limit.clamp(1, 500);
    let cols = "seq, at, tenant_id, actor, action, entity_type, entity_id, detail, hash";
    let rows = if ctx.is_system_admin() {
        sqlx::query(&format!(
            "SELECT {cols} FROM audit_log WHERE seq < $1 ORDER BY seq DESC LIMIT $2"
        ))
        .bind(before)
        .bind(limit)
        .fetch_all(&db.pool)
        .await?
    } else {
        sqlx::query(&format!(
            "SELECT {cols} FROM audit_log WHERE tenant_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3"
        ))
        .bind(ctx.tenant()?)
        .bind(before)
        .bind(limit)
        .fetch_all(&db.pool)
        .await?
    };
    rows.iter().map(log_from_row).collect()
}
