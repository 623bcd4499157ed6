//! Handover of a child to another worker, and the staff a child can be handed to.

use sqlx::Row;

use super::children::Worker;
use super::new_id;
use crate::auth::{Ctx, Role};
use crate::cases::access::reader;
use crate::cases::access::{begin_child_write, commit_child_write};
use crate::db::Db;
use crate::error::AppResult;
use crate::validate::check_texts;
use crate::{time, AppError};

pub async fn handover(
    db: &Db,
    ctx: &Ctx,
    child_id: &str,
    to_user: &str,
    note: &str,
) -> AppResult<()> {
    let t = ctx.tenant()?.clone();
    let note = note.trim();
    if note.is_empty() {
        return Err(AppError::invalid(
            "note",
            "引き継ぎの要点を書いてください（次の担当者が読みます）。",
        ));
    }
    let mut errs = vec![];
    check_texts(&mut errs, &[("note", note)], 10_000);
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let mut tx = begin_child_write(db, ctx, child_id).await?;
    let target = sqlx::query("SELECT id, role, display_name FROM users WHERE id = $1 AND tenant_id = $2 AND disabled_at IS NULL")
        .bind(to_user)
        .bind(&t)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| AppError::invalid("to_user", "引き継ぐ先の職員を選んでください。"))?;
    let role = Role::parse(target.try_get::<String, _>("role")?.as_str());
    if !matches!(
        role,
        Some(Role::Nurse | Role::SupportWorker | Role::Contractor | Role::TenantAdmin)
    ) {
        return Err(AppError::invalid(
            "to_user",
            "引き継ぐ先は保健師・自立支援員・委託先職員・事業担当者から選んでください。",
        ));
    }
    let from: Option<String> = sqlx::query_scalar("SELECT u.display_name FROM child_workers w JOIN users u ON u.id = w.user_id WHERE w.child_id = $1 AND w.tenant_id = $2 AND w.is_primary = 1")
        .bind(child_id)
        .bind(&t)
        .fetch_optional(&mut *tx)
        .await?;
    let now = time::now_db();
    sqlx::query("UPDATE child_workers SET is_primary = 0 WHERE child_id = $1 AND tenant_id = $2")
        .bind(child_id)
        .bind(&t)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO child_workers (tenant_id, child_id, user_id, is_primary, assigned_at) VALUES ($1, $2, $3, 1, $4) \
         ON CONFLICT (child_id, user_id) DO UPDATE SET is_primary = 1, assigned_at = excluded.assigned_at",
    )
    .bind(&t)
    .bind(child_id)
    .bind(to_user)
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO handovers (id, tenant_id, child_id, from_user, to_user, note, at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(new_id())
        .bind(&t)
        .bind(child_id)
        .bind(from.unwrap_or_else(|| ctx.display_name.clone()))
        .bind(target.try_get::<String, _>("display_name")?)
        .bind(note)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
    commit_child_write(tx, ctx, &t, "child.handover", child_id, to_user).await?;
    Ok(())
}

/// Staff a case can be handed to.
pub async fn staff(db: &Db, ctx: &Ctx) -> AppResult<Vec<(String, String)>> {
    let t = reader(ctx)?;
    let rows = sqlx::query("SELECT id, display_name, role FROM users WHERE tenant_id = $1 AND disabled_at IS NULL AND role IN ('nurse', 'support_worker', 'contractor', 'tenant_admin') ORDER BY role, display_name, id")
        .bind(t)
        .fetch_all(&db.pool)
        .await?;
    Ok(staff_options(
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("role")?,
                    r.try_get("display_name")?,
                    r.try_get("id")?,
                ))
            })
            .collect::<AppResult<_>>()?,
    ))
}

/// Staff for a select: sorted by role, name and id (bytewise on both engines), each as
/// (user id, "name（role）").
pub(crate) fn staff_options(mut staff: Vec<(String, String, String)>) -> Vec<(String, String)> {
    staff.sort();
    staff
        .into_iter()
        .map(|(role, name, uid)| {
            let role = Role::parse(&role).map(|x| x.label()).unwrap_or("");
            (uid, format!("{name}（{role}）"))
        })
        .collect()
}

pub(crate) fn sort_workers(w: &mut [Worker]) {
    w.sort_by(|a, b| {
        b.is_primary
            .cmp(&a.is_primary)
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| a.user_id.cmp(&b.user_id))
    });
}
