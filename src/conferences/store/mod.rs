//! SQL of case conferences. A conference is a read of and a write to one child's record:
//! every function passes `cases::access::child_access` (tenant, role, contractor
//! assignment; anything else is NotFound), every view is audited as `child.view`, and
//! every write appends its audit entry on the child inside its own transaction.
//!
//! - `summaries`: one conference in a child's list (also built by the record page)
//! - `planning`: planning a conference (date, length, agenda, purpose, participants)
//! - `participants`: staff, family and agencies (with the family's consent in force)
//! - `record`: one conference as shown (the shared items of the record), attendance,
//!   minutes and decisions
//! - `outcomes`: what was decided, by whom, by when
//! - `reflect`: the outcomes into a new revision of the child's 自立支援計画

mod outcomes;
mod participants;
mod planning;
mod record;
mod reflect;
mod summaries;

pub use outcomes::*;
pub use participants::*;
pub use planning::*;
pub use record::*;
pub use reflect::*;
pub use summaries::*;

use sqlx::Row;

use crate::auth::{policy, Action, Ctx, TenantId};
use crate::cases::access::child_access;
use crate::db::{Db, Tx};
use crate::error::AppResult;
use crate::{time, AppError};

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// 2026-01-20T14:00 → 令和8年1月20日 14:00
pub fn when_label(local: &str) -> String {
    time::format_local_stamp(local)
}

/// A write transaction on one conference, after checking write access to its child.
/// Returns the transaction, the tenant and the conference's child and title.
async fn conference_write(
    db: &Db,
    ctx: &Ctx,
    id: &str,
) -> AppResult<(Tx, TenantId, String, String)> {
    policy::require(ctx, Action::ManageChildren)?;
    let t = ctx.tenant()?.clone();
    let mut tx = db.begin_write().await?;
    let r = sqlx::query(
        "SELECT child_id, title FROM meetings WHERE id = $1 AND tenant_id = $2 AND kind = 'case_conference'",
    )
    .bind(id)
    .bind(&t)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let child_id: String = r
        .try_get::<Option<String>, _>("child_id")?
        .ok_or(AppError::NotFound)?;
    let title: String = r.try_get("title")?;
    child_access(&mut tx, ctx, &child_id).await?;
    Ok((tx, t, child_id, title))
}
