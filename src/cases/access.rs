//! Who may see and change a child's record: the one place for the rule. Every read of
//! a child's record passes `child_access` (tenant, role, contractor assignment); every
//! write begins with `begin_child_write` and ends with `commit_child_write` (its audit
//! entry on the child, in the same transaction). Partners reach children only through
//! referrals addressed to their agency (cases::store::referral), never through this.
//! Other capabilities that touch a child's record (case conferences, optional
//! services) use these functions too.

use crate::audit::{self, Entry};
use crate::auth::{policy, Action, Ctx, Role, TenantId};
use crate::db::{Conn, Db};
use crate::error::AppResult;
use crate::AppError;

/// The caller's tenant when they may read children's records at all.
pub(crate) fn reader(ctx: &Ctx) -> AppResult<&TenantId> {
    policy::require(ctx, Action::ViewChildren)?;
    ctx.tenant()
}

/// Who may see child `c` ($1 its id, $2 the caller's tenant, $3 1 for contractor staff,
/// $4 the caller): the tenant's staff, and contractor staff only for children assigned
/// to them. The one definition, used by `child_access` and the record page.
pub(crate) const CHILD_VISIBLE: &str = "c.id = $1 AND c.tenant_id = $2 AND \
     ($3 = 0 OR EXISTS (SELECT 1 FROM child_workers w WHERE w.child_id = c.id AND w.user_id = $4))";

/// Checks that the caller may see this child (tenant, and for contractors the
/// assignment). Another tenant's child, or one not assigned to a contractor, is NotFound.
pub async fn child_access(conn: &mut Conn, ctx: &Ctx, child_id: &str) -> AppResult<()> {
    let t = reader(ctx)?;
    let n: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM children c WHERE {CHILD_VISIBLE}"
    ))
    .bind(child_id)
    .bind(t)
    .bind(i64::from(ctx.role == Role::Contractor))
    .bind(&ctx.user_id)
    .fetch_one(&mut *conn)
    .await?;
    if n == 0 {
        Err(AppError::NotFound)
    } else {
        Ok(())
    }
}

/// A write transaction on one child, after checking write access.
pub async fn begin_child_write(db: &Db, ctx: &Ctx, child_id: &str) -> AppResult<crate::db::Tx> {
    policy::require(ctx, Action::ManageChildren)?;
    let mut tx = db.begin_write().await?;
    child_access(&mut tx, ctx, child_id).await?;
    Ok(tx)
}

/// Ends a write to a child's record: appends its audit entry (`action` on the child,
/// with `detail`) in the same transaction and commits both.
pub async fn commit_child_write(
    tx: crate::db::Tx,
    ctx: &Ctx,
    t: &TenantId,
    action: &str,
    child_id: &str,
    detail: &str,
) -> AppResult<()> {
    audit::commit(
        tx,
        Entry::new(ctx, Some(t), action, "child", child_id).detail(detail),
    )
    .await
}
