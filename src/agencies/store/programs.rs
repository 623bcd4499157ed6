//! Related programs (近接施策): reading them, adding one and linking it to an agency.

use sqlx::Row;

use super::{new_id, Program};
use crate::agencies::model;
use crate::audit::{self, Entry};
use crate::auth::{policy, Action, Ctx};
use crate::db::Db;
use crate::error::{AppResult, FieldError};
use crate::AppError;

pub async fn programs(db: &Db, ctx: &Ctx) -> AppResult<Vec<Program>> {
    let t = ctx.tenant()?;
    let rows = sqlx::query("SELECT id, name, overview, owner FROM related_programs WHERE tenant_id = $1 ORDER BY position, name")
        .bind(t)
        .fetch_all(&db.pool)
        .await?;
    rows.iter().map(program_from_row).collect()
}

pub(super) fn program_from_row(r: &sqlx::any::AnyRow) -> AppResult<Program> {
    Ok(Program {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        overview: r.try_get("overview")?,
        owner: r.try_get("owner")?,
    })
}

// ---- related programs (近接施策) ----

pub async fn add_program(
    db: &Db,
    ctx: &Ctx,
    name: &str,
    overview: &str,
    owner: &str,
) -> AppResult<String> {
    policy::require(ctx, Action::AdministerRegistry)?;
    let t = ctx.tenant()?.clone();
    let name = crate::text::clean(name);
    let owner = crate::text::clean(owner);
    let overview = overview.trim().to_string();
    let mut errs = vec![];
    if name.is_empty() {
        errs.push(FieldError::new("name", "事業名を入力してください。"));
    }
    for (k, label, v) in [
        ("name", "事業名", &name),
        ("overview", "概要", &overview),
        ("owner", "主管", &owner),
    ] {
        if let Some(m) = model::unsafe_text(v) {
            errs.push(FieldError::new(k, format!("{label}: {m}")));
        }
    }
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let id = new_id();
    let mut tx = db.begin_write().await?;
    let pos: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM related_programs WHERE tenant_id = $1")
        .bind(&t)
        .fetch_one(&mut *tx)
        .await?;
    let res = sqlx::query("INSERT INTO related_programs (id, tenant_id, name, overview, owner, position) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&id)
        .bind(&t)
        .bind(&name)
        .bind(&overview)
        .bind(&owner)
        .bind(pos)
        .execute(&mut *tx)
        .await;
    if let Err(e) = res {
        if crate::db::is_unique_violation(&e) {
            return Err(AppError::invalid(
                "name",
                format!("「{name}」は既に登録されています。"),
            ));
        }
        return Err(e.into());
    }
    audit::commit(
        tx,
        Entry::new(
            ctx,
            Some(&t),
            "registry.program_add",
            "related_program",
            &id,
        )
        .detail(&name),
    )
    .await?;
    crate::agencies::search::note_local_write(ctx.tenant_id.as_deref().unwrap_or(""));
    Ok(id)
}

pub async fn link_program(
    db: &Db,
    ctx: &Ctx,
    agency_id: &str,
    program_id: &str,
    link: bool,
) -> AppResult<()> {
    policy::require(ctx, Action::ManageAgencies)?;
    let t = ctx.tenant()?.clone();
    let ok: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM agencies a, related_programs p WHERE a.id = $1 AND a.tenant_id = $2 AND a.deleted_at IS NULL AND p.id = $3 AND p.tenant_id = $2",
    )
    .bind(agency_id)
    .bind(&t)
    .bind(program_id)
    .fetch_one(&db.pool)
    .await?;
    if ok == 0 {
        return Err(AppError::NotFound);
    }
    let mut tx = db.begin_write().await?;
    if link {
        sqlx::query("INSERT INTO agency_programs (tenant_id, agency_id, program_id) VALUES ($1, $2, $3) ON CONFLICT (agency_id, program_id) DO NOTHING")
            .bind(&t)
            .bind(agency_id)
            .bind(program_id)
            .execute(&mut *tx)
            .await?;
    } else {
        sqlx::query("DELETE FROM agency_programs WHERE tenant_id = $1 AND agency_id = $2 AND program_id = $3")
            .bind(&t)
            .bind(agency_id)
            .bind(program_id)
            .execute(&mut *tx)
            .await?;
    }
    let action = if link {
        "agency.program_link"
    } else {
        "agency.program_unlink"
    };
    audit::commit(
        tx,
        Entry::new(ctx, Some(&t), action, "agency", agency_id).detail(program_id),
    )
    .await?;
    crate::agencies::search::note_local_write(ctx.tenant_id.as_deref().unwrap_or(""));
    Ok(())
}
