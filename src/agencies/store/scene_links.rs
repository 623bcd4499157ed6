//! Scene links (連携場面): setting and removing an agency's part in a scene.

use super::bump;
use crate::agencies::model;
use crate::audit::{self, Entry};
use crate::auth::{policy, Action, Ctx};
use crate::db::Db;
use crate::error::{AppResult, FieldError};
use crate::AppError;

/// Adds or updates an agency's part in a scene (連携方法, 連携内容).
pub async fn set_scene_link(
    db: &Db,
    ctx: &Ctx,
    scene_id: &str,
    agency_id: &str,
    method: &str,
    content: &str,
) -> AppResult<()> {
    policy::require(ctx, Action::ManageAgencies)?;
    let t = ctx.tenant()?.clone();
    let method = crate::text::clean(method);
    let content = content.trim().to_string();
    let mut errs = vec![];
    for (k, label, v) in [
        ("method", "連携方法", &method),
        ("content", "連携内容", &content),
    ] {
        if let Some(m) = model::unsafe_text(v) {
            errs.push(FieldError::new(k, format!("{label}: {m}")));
        }
        if v.chars().count() > model::MAX_TEXT {
            errs.push(FieldError::new(k, format!("{label}が長すぎます。")));
        }
    }
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let scene_ok: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM scenes WHERE id = $1 AND tenant_id = $2")
            .bind(scene_id)
            .bind(&t)
            .fetch_one(&db.pool)
            .await?;
    let agency_ok: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM agencies WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL",
    )
    .bind(agency_id)
    .bind(&t)
    .fetch_one(&db.pool)
    .await?;
    if scene_ok == 0 || agency_ok == 0 {
        return Err(AppError::NotFound);
    }
    let mut tx = db.begin_write().await?;
    bump(&mut tx, &t).await?;
    sqlx::query(
        "INSERT INTO agency_scenes (tenant_id, scene_id, agency_id, method, content) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (scene_id, agency_id) DO UPDATE SET method = excluded.method, content = excluded.content",
    )
    .bind(&t)
    .bind(scene_id)
    .bind(agency_id)
    .bind(&method)
    .bind(&content)
    .execute(&mut *tx)
    .await?;
    audit::commit(
        tx,
        Entry::new(ctx, Some(&t), "agency.scene_set", "agency", agency_id).detail(scene_id),
    )
    .await?;
    crate::agencies::search::note_local_write(ctx.tenant_id.as_deref().unwrap_or(""));
    Ok(())
}

pub async fn remove_scene_link(
    db: &Db,
    ctx: &Ctx,
    scene_id: &str,
    agency_id: &str,
) -> AppResult<()> {
    policy::require(ctx, Action::ManageAgencies)?;
    let t = ctx.tenant()?.clone();
    let mut tx = db.begin_write().await?;
    let n = sqlx::query(
        "DELETE FROM agency_scenes WHERE scene_id = $1 AND agency_id = $2 AND tenant_id = $3",
    )
    .bind(scene_id)
    .bind(agency_id)
    .bind(&t)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(AppError::NotFound);
    }
    bump(&mut tx, &t).await?;
    audit::commit(
        tx,
        Entry::new(ctx, Some(&t), "agency.scene_remove", "agency", agency_id).detail(scene_id),
    )
    .await?;
    crate::agencies::search::note_local_write(ctx.tenant_id.as_deref().unwrap_or(""));
    Ok(())
}
