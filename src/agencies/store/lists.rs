//! The tenant's lists of fields (分野) and scenes (連携場面): seeding them, reading them and
//! saving an edited list.

use sqlx::Row;

use super::{bump, new_id, Scene, RELATED_PROGRAMS};
use crate::agencies::model::{self, DEFAULT_FIELDS, DEFAULT_SCENES};
use crate::audit::{self, Entry};
use crate::auth::{policy, Action, Ctx};
use crate::db::{insert_many, Conn, Db};
use crate::error::{AppResult, FieldError};
use crate::AppError;

/// Gives a tenant the default lists (分野, 連携場面, 近接施策) when it has none.
pub async fn seed_lists(conn: &mut Conn, tenant_id: &str) -> AppResult<()> {
    let has: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM agency_fields WHERE tenant_id = $1")
        .bind(tenant_id)
        .fetch_one(&mut *conn)
        .await?;
    if has == 0 {
        let rows = DEFAULT_FIELDS
            .iter()
            .enumerate()
            .map(|(i, f)| {
                vec![
                    new_id().into(),
                    tenant_id.into(),
                    (*f).into(),
                    (i as i64).into(),
                ]
            })
            .collect();
        insert_many(
            conn,
            "agency_fields",
            &["id", "tenant_id", "name", "position"],
            rows,
        )
        .await?;
    }
    let has: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM scenes WHERE tenant_id = $1")
        .bind(tenant_id)
        .fetch_one(&mut *conn)
        .await?;
    if has == 0 {
        let rows = DEFAULT_SCENES
            .iter()
            .enumerate()
            .map(|(i, f)| {
                vec![
                    new_id().into(),
                    tenant_id.into(),
                    (*f).into(),
                    (i as i64).into(),
                ]
            })
            .collect();
        insert_many(
            conn,
            "scenes",
            &["id", "tenant_id", "name", "position"],
            rows,
        )
        .await?;
    }
    let has: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM related_programs WHERE tenant_id = $1")
        .bind(tenant_id)
        .fetch_one(&mut *conn)
        .await?;
    if has == 0 {
        let rows = RELATED_PROGRAMS
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .enumerate()
            .filter_map(|(i, l)| {
                let mut p = l.split('\t');
                let (name, overview, owner) = (p.next()?, p.next()?, p.next()?);
                Some(vec![
                    new_id().into(),
                    tenant_id.into(),
                    name.into(),
                    overview.into(),
                    owner.into(),
                    (i as i64).into(),
                ])
            })
            .collect();
        insert_many(
            conn,
            "related_programs",
            &["id", "tenant_id", "name", "overview", "owner", "position"],
            rows,
        )
        .await?;
    }
    sqlx::query("INSERT INTO registry_versions (tenant_id, version) VALUES ($1, 0) ON CONFLICT (tenant_id) DO NOTHING")
        .bind(tenant_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// At start-up: every tenant without lists gets the defaults.
pub async fn seed_all_tenants(db: &Db) -> AppResult<()> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM tenants t WHERE NOT EXISTS (SELECT 1 FROM registry_versions r WHERE r.tenant_id = t.id)",
    )
    .fetch_all(&db.pool)
    .await?;
    for id in ids {
        let mut tx = db.begin_write().await?;
        seed_lists(&mut tx, &id).await?;
        tx.commit().await?;
    }
    Ok(())
}

pub async fn fields(db: &Db, ctx: &Ctx) -> AppResult<Vec<String>> {
    let t = ctx.tenant()?;
    Ok(sqlx::query_scalar(
        "SELECT name FROM agency_fields WHERE tenant_id = $1 ORDER BY position, name",
    )
    .bind(t)
    .fetch_all(&db.pool)
    .await?)
}

pub async fn scenes(db: &Db, ctx: &Ctx) -> AppResult<Vec<Scene>> {
    let t = ctx.tenant()?;
    let rows =
        sqlx::query("SELECT id, name FROM scenes WHERE tenant_id = $1 ORDER BY position, name")
            .bind(t)
            .fetch_all(&db.pool)
            .await?;
    rows.iter()
        .map(|r| {
            Ok(Scene {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
            })
        })
        .collect()
}

// ---- lists (分野, 連携場面) ----

/// Replaces the tenant's list of 分野 or 連携場面 with `names` (in that order). Names
/// still used by an agency cannot be removed.
pub async fn set_list(db: &Db, ctx: &Ctx, kind: ListKind, names: &[String]) -> AppResult<()> {
    policy::require(ctx, Action::AdministerRegistry)?;
    let t = ctx.tenant()?.clone();
    let mut clean: Vec<String> = vec![];
    for n in names {
        let n = crate::text::clean(n);
        if n.is_empty() {
            continue;
        }
        if let Some(m) = model::unsafe_text(&n) {
            return Err(AppError::invalid("names", m));
        }
        if n.chars().count() > 50 {
            return Err(AppError::invalid(
                "names",
                format!("「{n}」は長すぎます（50文字まで）。"),
            ));
        }
        if !clean.contains(&n) {
            clean.push(n);
        }
    }
    if clean.is_empty() {
        return Err(AppError::invalid("names", "一つ以上入力してください。"));
    }
    let table = kind.table();
    let current: Vec<(String, String)> = sqlx::query(&format!(
        "SELECT id, name FROM {table} WHERE tenant_id = $1"
    ))
    .bind(&t)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(|r| -> AppResult<(String, String)> { Ok((r.try_get("id")?, r.try_get("name")?)) })
    .collect::<AppResult<_>>()?;
    let mut errs = vec![];
    for (id, name) in &current {
        if clean.contains(name) {
            continue;
        }
        let used: i64 = match kind {
            ListKind::Fields => sqlx::query_scalar("SELECT COUNT(*) FROM agencies WHERE tenant_id = $1 AND field = $2 AND deleted_at IS NULL")
                .bind(&t)
                .bind(name)
                .fetch_one(&db.pool)
                .await?,
            ListKind::Scenes => sqlx::query_scalar("SELECT COUNT(*) FROM agency_scenes WHERE tenant_id = $1 AND scene_id = $2")
                .bind(&t)
                .bind(id)
                .fetch_one(&db.pool)
                .await?,
        };
        if used > 0 {
            errs.push(FieldError::new(
                "names",
                format!("「{name}」は {used} 件の関係機関で使われているため、一覧から外せません。"),
            ));
        }
    }
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let mut tx = db.begin_write().await?;
    for (id, name) in &current {
        if !clean.contains(name) {
            sqlx::query(&format!(
                "DELETE FROM {table} WHERE id = $1 AND tenant_id = $2"
            ))
            .bind(id)
            .bind(&t)
            .execute(&mut *tx)
            .await?;
        }
    }
    for (pos, name) in clean.iter().enumerate() {
        match current.iter().find(|(_, n)| n == name) {
            Some((id, _)) => {
                sqlx::query(&format!(
                    "UPDATE {table} SET position = $1 WHERE id = $2 AND tenant_id = $3"
                ))
                .bind(pos as i64)
                .bind(id)
                .bind(&t)
                .execute(&mut *tx)
                .await?;
            }
            None => {
                sqlx::query(&format!(
                    "INSERT INTO {table} (id, tenant_id, name, position) VALUES ($1, $2, $3, $4)"
                ))
                .bind(new_id())
                .bind(&t)
                .bind(name)
                .bind(pos as i64)
                .execute(&mut *tx)
                .await?;
            }
        }
    }
    bump(&mut tx, &t).await?;
    audit::commit(
        tx,
        Entry::new(
            ctx,
            Some(&t),
            &format!("registry.{}", kind.key()),
            "tenant",
            &t,
        )
        .detail(&clean.join("、")),
    )
    .await?;
    crate::agencies::search::note_local_write(ctx.tenant_id.as_deref().unwrap_or(""));
    Ok(())
}

#[derive(Clone, Copy, Debug)]
pub enum ListKind {
    Fields,
    Scenes,
}

impl ListKind {
    fn table(self) -> &'static str {
        match self {
            ListKind::Fields => "agency_fields",
            ListKind::Scenes => "scenes",
        }
    }
    fn key(self) -> &'static str {
        match self {
            ListKind::Fields => "fields",
            ListKind::Scenes => "scenes",
        }
    }
}
