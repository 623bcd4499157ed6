//! Writing agencies: their rows, creating, updating and deleting one, and its history.

use serde::Serialize;
use sqlx::Row;

use super::lists::fields;
use super::read::{get, validate_for};
use super::{bump, new_id};
use crate::agencies::model::{self, AgencyInput};
use crate::audit::{self, Entry};
use crate::auth::{policy, Action, Ctx};
use crate::db::{insert_many, Db, Val};
use crate::error::AppResult;
use crate::{time, AppError};

/// Rows for one agency: (agency row, contact rows, history row).
pub(super) fn agency_row(
    tenant_id: &str,
    id: &str,
    a: &AgencyInput,
    version: i64,
    now: &str,
) -> Vec<Val> {
    vec![
        id.into(),
        tenant_id.into(),
        (&a.field).into(),
        (&a.name).into(),
        (&a.reading).into(),
        (&a.address).into(),
        (&a.overview).into(),
        (&a.url).into(),
        a.is_new.into(),
        (&a.services).into(),
        (&a.strengths).into(),
        a.disease_groups
            .iter()
            .map(|g| g.to_string())
            .collect::<Vec<_>>()
            .join(",")
            .into(),
        a.age_min.into(),
        a.age_max.into(),
        (&a.hours).into(),
        (&a.notes).into(),
        model::search_document(a).into(),
        model::sort_key(a).into(),
        dedup_key(a).into(),
        version.into(),
        now.into(),
        now.into(),
    ]
}

pub(super) const AGENCY_INSERT_COLS: [&str; 22] = [
    "id",
    "tenant_id",
    "field",
    "name",
    "reading",
    "address",
    "overview",
    "url",
    "is_new",
    "services",
    "strengths",
    "disease_groups",
    "age_min",
    "age_max",
    "hours",
    "notes",
    "search_doc",
    "sort_key",
    "dedup_key",
    "version",
    "created_at",
    "updated_at",
];
pub(super) const CONTACT_COLS: [&str; 9] = [
    "id",
    "tenant_id",
    "agency_id",
    "position",
    "name",
    "department",
    "phone",
    "email",
    "best_time",
];
pub(super) const HISTORY_COLS: [&str; 8] = [
    "id",
    "tenant_id",
    "agency_id",
    "version",
    "action",
    "changed_at",
    "changed_by",
    "snapshot",
];

pub(super) fn contact_rows(tenant_id: &str, agency_id: &str, a: &AgencyInput) -> Vec<Vec<Val>> {
    a.contacts
        .iter()
        .enumerate()
        .map(|(i, c)| {
            vec![
                new_id().into(),
                tenant_id.into(),
                agency_id.into(),
                (i as i64).into(),
                (&c.name).into(),
                (&c.department).into(),
                (&c.phone).into(),
                (&c.email).into(),
                (&c.best_time).into(),
            ]
        })
        .collect()
}

pub(super) fn history_row(
    tenant_id: &str,
    agency_id: &str,
    version: i64,
    action: &str,
    by: &str,
    a: &AgencyInput,
    now: &str,
) -> Vec<Val> {
    vec![
        new_id().into(),
        tenant_id.into(),
        agency_id.into(),
        version.into(),
        action.into(),
        now.into(),
        by.into(),
        serde_json::to_string(a).unwrap_or_default().into(),
    ]
}

/// Duplicate detection key: normalised name and address.
pub fn dedup_key(a: &AgencyInput) -> String {
    format!(
        "{}\u{1f}{}",
        crate::text::search_key(&a.name),
        crate::text::search_key(&a.address)
    )
}

pub async fn create(db: &Db, ctx: &Ctx, input: &AgencyInput) -> AppResult<String> {
    policy::require(ctx, Action::ManageAgencies)?;
    let t = ctx.tenant()?.clone();
    let a = validate_for(input, &fields(db, ctx).await?)?;
    let id = new_id();
    let now = time::now_db();
    let mut tx = db.begin_write().await?;
    let v = bump(&mut tx, &t).await?;
    insert_many(
        &mut tx,
        "agencies",
        &AGENCY_INSERT_COLS,
        vec![agency_row(&t, &id, &a, 1, &now)],
    )
    .await?;
    insert_many(
        &mut tx,
        "agency_contacts",
        &CONTACT_COLS,
        contact_rows(&t, &id, &a),
    )
    .await?;
    insert_many(
        &mut tx,
        "agency_history",
        &HISTORY_COLS,
        vec![history_row(&t, &id, 1, "create", &ctx.login, &a, &now)],
    )
    .await?;
    audit::commit(
        tx,
        Entry::new(ctx, Some(&t), "agency.create", "agency", &id).detail(&a.name),
    )
    .await?;
    crate::agencies::search::note_local_write(ctx.tenant_id.as_deref().unwrap_or(""));
    let _ = v;
    Ok(id)
}

/// Replaces an agency's fields and contacts. `expected_version`, when given, must match
/// (someone else's edit in between is reported, not overwritten).
pub async fn update(
    db: &Db,
    ctx: &Ctx,
    id: &str,
    input: &AgencyInput,
    expected_version: Option<i64>,
) -> AppResult<()> {
    policy::require(ctx, Action::ManageAgencies)?;
    let t = ctx.tenant()?.clone();
    let a = validate_for(input, &fields(db, ctx).await?)?;
    let mut tx = db.begin_write().await?;
    apply_update(&mut tx, ctx, &t, id, &a, expected_version, "update").await?;
    tx.commit().await?;
    crate::agencies::search::note_local_write(ctx.tenant_id.as_deref().unwrap_or(""));
    Ok(())
}

pub(super) async fn apply_update(
    tx: &mut crate::db::Tx,
    ctx: &Ctx,
    t: &str,
    id: &str,
    a: &AgencyInput,
    expected_version: Option<i64>,
    action: &str,
) -> AppResult<()> {
    let current: Option<i64> = sqlx::query_scalar(
        "SELECT version FROM agencies WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL",
    )
    .bind(id)
    .bind(t)
    .fetch_optional(&mut **tx)
    .await?;
    let current = current.ok_or(AppError::NotFound)?;
    if let Some(e) = expected_version {
        if e != current {
            return Err(AppError::Conflict(
                "この関係機関は、あなたが編集している間に他の人が更新しました。最新の内容を確認してから、もう一度保存してください。".into(),
            ));
        }
    }
    let version = current + 1;
    let now = time::now_db();
    bump(tx, t).await?;
    sqlx::query(
        "UPDATE agencies SET field = $1, name = $2, reading = $3, address = $4, overview = $5, url = $6, is_new = $7, \
         services = $8, strengths = $9, disease_groups = $10, age_min = $11, age_max = $12, hours = $13, notes = $14, \
         search_doc = $15, sort_key = $16, dedup_key = $17, version = $18, updated_at = $19 WHERE id = $20 AND tenant_id = $21",
    )
    .bind(&a.field)
    .bind(&a.name)
    .bind(&a.reading)
    .bind(&a.address)
    .bind(&a.overview)
    .bind(&a.url)
    .bind(a.is_new as i64)
    .bind(&a.services)
    .bind(&a.strengths)
    .bind(a.disease_groups.iter().map(|g| g.to_string()).collect::<Vec<_>>().join(","))
    .bind(a.age_min)
    .bind(a.age_max)
    .bind(&a.hours)
    .bind(&a.notes)
    .bind(model::search_document(a))
    .bind(model::sort_key(a))
    .bind(dedup_key(a))
    .bind(version)
    .bind(&now)
    .bind(id)
    .bind(t)
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM agency_contacts WHERE agency_id = $1 AND tenant_id = $2")
        .bind(id)
        .bind(t)
        .execute(&mut **tx)
        .await?;
    insert_many(tx, "agency_contacts", &CONTACT_COLS, contact_rows(t, id, a)).await?;
    insert_many(
        tx,
        "agency_history",
        &HISTORY_COLS,
        vec![history_row(t, id, version, action, &ctx.login, a, &now)],
    )
    .await?;
    audit::append(
        tx,
        Entry::new(ctx, Some(t), &format!("agency.{action}"), "agency", id).detail(&a.name),
    )
    .await?;
    Ok(())
}

/// Removes an agency from the registry. Its history is kept.
pub async fn delete(db: &Db, ctx: &Ctx, id: &str) -> AppResult<()> {
    policy::require(ctx, Action::ManageAgencies)?;
    let t = ctx.tenant()?.clone();
    let agency = get(db, ctx, id).await?;
    let now = time::now_db();
    let mut tx = db.begin_write().await?;
    bump(&mut tx, &t).await?;
    sqlx::query("UPDATE agencies SET deleted_at = $1, updated_at = $1, version = version + 1 WHERE id = $2 AND tenant_id = $3")
        .bind(&now)
        .bind(id)
        .bind(&t)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM agency_scenes WHERE agency_id = $1 AND tenant_id = $2")
        .bind(id)
        .bind(&t)
        .execute(&mut *tx)
        .await?;
    insert_many(
        &mut tx,
        "agency_history",
        &HISTORY_COLS,
        vec![history_row(
            &t,
            id,
            agency.version + 1,
            "delete",
            &ctx.login,
            &agency.input,
            &now,
        )],
    )
    .await?;
    audit::commit(
        tx,
        Entry::new(ctx, Some(&t), "agency.delete", "agency", id).detail(&agency.input.name),
    )
    .await?;
    crate::agencies::search::note_local_write(ctx.tenant_id.as_deref().unwrap_or(""));
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct HistoryEntry {
    pub version: i64,
    pub action: String,
    pub changed_at: String,
    pub changed_by: String,
    pub snapshot: AgencyInput,
}

pub async fn history(db: &Db, ctx: &Ctx, id: &str) -> AppResult<Vec<HistoryEntry>> {
    get(db, ctx, id).await?;
    let rows = sqlx::query("SELECT version, action, changed_at, changed_by, snapshot FROM agency_history WHERE agency_id = $1 AND tenant_id = $2 ORDER BY version DESC, changed_at DESC")
        .bind(id)
        .bind(ctx.tenant()?)
        .fetch_all(&db.pool)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(HistoryEntry {
                version: r.try_get("version")?,
                action: r.try_get("action")?,
                changed_at: r.try_get("changed_at")?,
                changed_by: r.try_get("changed_by")?,
                snapshot: serde_json::from_str(r.try_get::<String, _>("snapshot")?.as_str())
                    .unwrap_or_default(),
            })
        })
        .collect()
}
