//! The agency registry's SQL. Every function takes the caller first and every query
//! carries the caller's tenant id; another tenant's ids are simply not found.

use std::collections::HashMap;

use serde::Serialize;
use sqlx::Row;

use super::model::{self, AgencyInput, ContactInput, DEFAULT_FIELDS, DEFAULT_SCENES};
use crate::audit::{self, Entry};
use crate::auth::{policy, Action, Ctx, Role};
use crate::db::{insert_many, Conn, Db, Val};
use crate::error::{AppResult, FieldError};
use crate::{time, AppError};

/// 近接施策 shipped with the product (guide 参考資料): name, overview, 主管.
pub const RELATED_PROGRAMS: &str = include_str!("../../data/related_programs.tsv");

#[derive(Debug, Clone, Serialize)]
pub struct Scene {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SceneLinkRow {
    pub scene_id: String,
    pub scene: String,
    pub agency_id: String,
    pub agency_name: String,
    pub agency_address: String,
    pub agency_field: String,
    pub method: String,
    pub content: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Program {
    pub id: String,
    pub name: String,
    pub overview: String,
    pub owner: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Agency {
    pub id: String,
    #[serde(flatten)]
    pub input: AgencyInput,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    pub scenes: Vec<SceneLinkRow>,
    pub programs: Vec<Program>,
}

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

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Bumps the tenant's registry version (search indexes rebuild on the next query).
pub async fn bump(conn: &mut Conn, tenant_id: &str) -> AppResult<i64> {
    super::search::note_local_write(tenant_id);
    let v: i64 = sqlx::query_scalar(
        "INSERT INTO registry_versions (tenant_id, version) VALUES ($1, 1) \
         ON CONFLICT (tenant_id) DO UPDATE SET version = registry_versions.version + 1 RETURNING version",
    )
    .bind(tenant_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(v)
}

/// The tenant a caller may read the registry of. Partners read only their own agency
/// (checked in `get`), system administrators have no registry.
fn reader_tenant(ctx: &Ctx) -> AppResult<&crate::auth::TenantId> {
    if ctx.role == Role::Partner {
        return ctx.tenant();
    }
    policy::require(ctx, Action::ViewAgencies)?;
    ctx.tenant()
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
    Ok(rows
        .iter()
        .map(|r| Scene {
            id: r.get("id"),
            name: r.get("name"),
        })
        .collect())
}

pub async fn programs(db: &Db, ctx: &Ctx) -> AppResult<Vec<Program>> {
    let t = ctx.tenant()?;
    let rows = sqlx::query("SELECT id, name, overview, owner FROM related_programs WHERE tenant_id = $1 ORDER BY position, name")
        .bind(t)
        .fetch_all(&db.pool)
        .await?;
    Ok(rows.iter().map(program_from_row).collect())
}

fn program_from_row(r: &sqlx::any::AnyRow) -> Program {
    Program {
        id: r.get("id"),
        name: r.get("name"),
        overview: r.get("overview"),
        owner: r.get("owner"),
    }
}

const AGENCY_COLS: &str =
    "id, field, name, reading, address, overview, url, is_new, services, strengths, \
     disease_groups, age_min, age_max, hours, notes, version, created_at, updated_at";

fn input_from_row(r: &sqlx::any::AnyRow) -> AgencyInput {
    let groups: String = r.get("disease_groups");
    AgencyInput {
        field: r.get("field"),
        name: r.get("name"),
        reading: r.get("reading"),
        address: r.get("address"),
        overview: r.get("overview"),
        url: r.get("url"),
        is_new: r.get::<i64, _>("is_new") != 0,
        services: r.get("services"),
        strengths: r.get("strengths"),
        disease_groups: groups
            .split(',')
            .filter_map(|g| g.trim().parse().ok())
            .collect(),
        age_min: r.get("age_min"),
        age_max: r.get("age_max"),
        hours: r.get("hours"),
        notes: r.get("notes"),
        contacts: vec![],
    }
}

fn contact_from_row(r: &sqlx::any::AnyRow) -> ContactInput {
    ContactInput {
        name: r.get("name"),
        department: r.get("department"),
        phone: r.get("phone"),
        email: r.get("email"),
        best_time: r.get("best_time"),
    }
}

/// One agency with its contacts, scenes and related programs.
pub async fn get(db: &Db, ctx: &Ctx, id: &str) -> AppResult<Agency> {
    let t = reader_tenant(ctx)?;
    if ctx.role == Role::Partner && ctx.agency_id.as_deref() != Some(id) {
        return Err(AppError::NotFound);
    }
    let row = sqlx::query(&format!("SELECT {AGENCY_COLS} FROM agencies WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL"))
        .bind(id)
        .bind(t)
        .fetch_optional(&db.pool)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut input = input_from_row(&row);
    let contacts = sqlx::query("SELECT name, department, phone, email, best_time FROM agency_contacts WHERE agency_id = $1 AND tenant_id = $2 ORDER BY position")
        .bind(id)
        .bind(t)
        .fetch_all(&db.pool)
        .await?;
    input.contacts = contacts.iter().map(contact_from_row).collect();
    let scenes = scene_links(db, t, Some(id), None).await?;
    let programs = sqlx::query(
        "SELECT p.id, p.name, p.overview, p.owner FROM agency_programs ap JOIN related_programs p ON p.id = ap.program_id \
         WHERE ap.agency_id = $1 AND ap.tenant_id = $2 ORDER BY p.position",
    )
    .bind(id)
    .bind(t)
    .fetch_all(&db.pool)
    .await?;
    Ok(Agency {
        id: row.get("id"),
        input,
        version: row.get("version"),
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
        scenes,
        programs: programs.iter().map(program_from_row).collect(),
    })
}

async fn scene_links(
    db: &Db,
    tenant_id: &str,
    agency_id: Option<&str>,
    scene_id: Option<&str>,
) -> AppResult<Vec<SceneLinkRow>> {
    let mut sql = String::from(
        "SELECT s.id AS scene_id, s.name AS scene, a.id AS agency_id, a.name AS agency_name, a.address AS agency_address, \
         a.field AS agency_field, x.method, x.content \
         FROM agency_scenes x JOIN scenes s ON s.id = x.scene_id JOIN agencies a ON a.id = x.agency_id \
         WHERE x.tenant_id = $1 AND a.deleted_at IS NULL",
    );
    if agency_id.is_some() {
        sql.push_str(" AND x.agency_id = $2");
    } else if scene_id.is_some() {
        sql.push_str(" AND x.scene_id = $2");
    }
    sql.push_str(" ORDER BY s.position, a.sort_key");
    let mut q = sqlx::query(&sql).bind(tenant_id);
    if let Some(v) = agency_id.or(scene_id) {
        q = q.bind(v);
    }
    let rows = q.fetch_all(&db.pool).await?;
    Ok(rows
        .iter()
        .map(|r| SceneLinkRow {
            scene_id: r.get("scene_id"),
            scene: r.get("scene"),
            agency_id: r.get("agency_id"),
            agency_name: r.get("agency_name"),
            agency_address: r.get("agency_address"),
            agency_field: r.get("agency_field"),
            method: r.get("method"),
            content: r.get("content"),
        })
        .collect())
}

/// The whole scene × agency matrix (or one scene's part of it).
pub async fn matrix(db: &Db, ctx: &Ctx, scene_id: Option<&str>) -> AppResult<Vec<SceneLinkRow>> {
    policy::require(ctx, Action::ViewAgencies)?;
    scene_links(db, ctx.tenant()?, None, scene_id).await
}

pub fn validate_for(input: &AgencyInput, fields: &[String]) -> AppResult<AgencyInput> {
    model::validate(input, fields).map_err(AppError::Validation)
}

/// Rows for one agency: (agency row, contact rows, history row).
fn agency_row(tenant_id: &str, id: &str, a: &AgencyInput, version: i64, now: &str) -> Vec<Val> {
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

const AGENCY_INSERT_COLS: [&str; 22] = [
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
const CONTACT_COLS: [&str; 9] = [
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
const HISTORY_COLS: [&str; 8] = [
    "id",
    "tenant_id",
    "agency_id",
    "version",
    "action",
    "changed_at",
    "changed_by",
    "snapshot",
];

fn contact_rows(tenant_id: &str, agency_id: &str, a: &AgencyInput) -> Vec<Vec<Val>> {
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

fn history_row(
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
    super::search::note_local_write(ctx.tenant_id.as_deref().unwrap_or(""));
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
    super::search::note_local_write(ctx.tenant_id.as_deref().unwrap_or(""));
    Ok(())
}

async fn apply_update(
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
    super::search::note_local_write(ctx.tenant_id.as_deref().unwrap_or(""));
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
    Ok(rows
        .iter()
        .map(|r| HistoryEntry {
            version: r.get("version"),
            action: r.get("action"),
            changed_at: r.get("changed_at"),
            changed_by: r.get("changed_by"),
            snapshot: serde_json::from_str(r.get::<String, _>("snapshot").as_str())
                .unwrap_or_default(),
        })
        .collect())
}

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
    super::search::note_local_write(ctx.tenant_id.as_deref().unwrap_or(""));
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
    super::search::note_local_write(ctx.tenant_id.as_deref().unwrap_or(""));
    Ok(())
}

/// Everything needed to export the registry.
pub async fn export_data(
    db: &Db,
    ctx: &Ctx,
) -> AppResult<(Vec<super::io::ExportAgency>, Vec<super::io::SceneLink>)> {
    policy::require(ctx, Action::ViewAgencies)?;
    let t = ctx.tenant()?;
    let rows = sqlx::query(&format!("SELECT {AGENCY_COLS} FROM agencies WHERE tenant_id = $1 AND deleted_at IS NULL ORDER BY sort_key, id"))
        .bind(t)
        .fetch_all(&db.pool)
        .await?;
    let contacts = sqlx::query("SELECT agency_id, name, department, phone, email, best_time FROM agency_contacts WHERE tenant_id = $1 ORDER BY agency_id, position")
        .bind(t)
        .fetch_all(&db.pool)
        .await?;
    let mut by_agency: HashMap<String, Vec<ContactInput>> = HashMap::new();
    for c in &contacts {
        by_agency
            .entry(c.get("agency_id"))
            .or_default()
            .push(contact_from_row(c));
    }
    let agencies = rows
        .iter()
        .map(|r| {
            let id: String = r.get("id");
            let mut input = input_from_row(r);
            input.contacts = by_agency.remove(&id).unwrap_or_default();
            super::io::ExportAgency { id, input }
        })
        .collect();
    let links = scene_links(db, t, None, None)
        .await?
        .into_iter()
        .map(|l| super::io::SceneLink {
            scene: l.scene,
            agency_name: l.agency_name,
            agency_address: l.agency_address,
            method: l.method,
            content: l.content,
        })
        .collect();
    Ok((agencies, links))
}

// ---- helpers for import ----

pub(crate) fn agency_row_for_import(
    tenant_id: &str,
    id: &str,
    a: &AgencyInput,
    now: &str,
) -> Vec<Val> {
    agency_row(tenant_id, id, a, 1, now)
}

pub(crate) fn contact_rows_for_import(
    tenant_id: &str,
    agency_id: &str,
    a: &AgencyInput,
) -> Vec<Vec<Val>> {
    contact_rows(tenant_id, agency_id, a)
}

pub(crate) fn history_row_for_import(
    tenant_id: &str,
    agency_id: &str,
    version: i64,
    action: &str,
    by: &str,
    a: &AgencyInput,
    now: &str,
) -> Vec<Val> {
    history_row(tenant_id, agency_id, version, action, by, a, now)
}

pub(crate) async fn insert_agencies(
    conn: &mut Conn,
    agencies: Vec<Vec<Val>>,
    contacts: Vec<Vec<Val>>,
    history: Vec<Vec<Val>>,
) -> AppResult<()> {
    insert_many(conn, "agencies", &AGENCY_INSERT_COLS, agencies).await?;
    insert_many(conn, "agency_contacts", &CONTACT_COLS, contacts).await?;
    insert_many(conn, "agency_history", &HISTORY_COLS, history).await?;
    Ok(())
}

/// An agency's input (with contacts) inside a transaction.
pub(crate) async fn load_input(
    conn: &mut Conn,
    tenant_id: &str,
    id: &str,
) -> AppResult<AgencyInput> {
    let row = sqlx::query(&format!("SELECT {AGENCY_COLS} FROM agencies WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL"))
        .bind(id)
        .bind(tenant_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut input = input_from_row(&row);
    let contacts = sqlx::query("SELECT name, department, phone, email, best_time FROM agency_contacts WHERE agency_id = $1 AND tenant_id = $2 ORDER BY position")
        .bind(id)
        .bind(tenant_id)
        .fetch_all(&mut *conn)
        .await?;
    input.contacts = contacts.iter().map(contact_from_row).collect();
    Ok(input)
}

pub(crate) async fn apply_update_pub(
    tx: &mut crate::db::Tx,
    ctx: &Ctx,
    t: &str,
    id: &str,
    a: &AgencyInput,
    action: &str,
) -> AppResult<()> {
    apply_update(tx, ctx, t, id, a, None, action).await
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
    .map(|r| (r.get("id"), r.get("name")))
    .collect();
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
    super::search::note_local_write(ctx.tenant_id.as_deref().unwrap_or(""));
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
    super::search::note_local_write(ctx.tenant_id.as_deref().unwrap_or(""));
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
    super::search::note_local_write(ctx.tenant_id.as_deref().unwrap_or(""));
    Ok(())
}

// ---- partners' proposals ----

/// What a partner may change of their own agency.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct ProposalInput {
    #[serde(default)]
    pub overview: String,
    #[serde(default)]
    pub services: String,
    #[serde(default)]
    pub strengths: String,
    #[serde(default)]
    pub hours: String,
    #[serde(default)]
    pub contacts: Vec<ContactInput>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Proposal {
    pub id: String,
    pub agency_id: String,
    pub agency_name: String,
    pub proposed_by: String,
    pub proposed_at: String,
    pub proposed_label: String,
    pub status: String,
    pub reason: String,
    pub change: ProposalInput,
    pub current: ProposalInput,
}

fn apply_proposal(base: &AgencyInput, p: &ProposalInput) -> AgencyInput {
    AgencyInput {
        overview: p.overview.clone(),
        services: p.services.clone(),
        strengths: p.strengths.clone(),
        hours: p.hours.clone(),
        contacts: p.contacts.clone(),
        ..base.clone()
    }
}

pub async fn propose(db: &Db, ctx: &Ctx, agency_id: &str, p: &ProposalInput) -> AppResult<String> {
    policy::require(ctx, Action::ProposeAgencyChange)?;
    if ctx.agency_id.as_deref() != Some(agency_id) {
        return Err(AppError::NotFound);
    }
    let t = ctx.tenant()?.clone();
    let agency = get(db, ctx, agency_id).await?;
    let fields = fields(db, ctx).await?;
    let proposed = validate_for(&apply_proposal(&agency.input, p), &fields)?;
    let clean = ProposalInput {
        overview: proposed.overview.clone(),
        services: proposed.services.clone(),
        strengths: proposed.strengths.clone(),
        hours: proposed.hours.clone(),
        contacts: proposed.contacts.clone(),
    };
    let id = new_id();
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO agency_proposals (id, tenant_id, agency_id, proposed_by, proposed_at, payload, status, reason) \
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', '')",
    )
    .bind(&id)
    .bind(&t)
    .bind(agency_id)
    .bind(&ctx.login)
    .bind(time::now_db())
    .bind(serde_json::to_string(&clean).unwrap_or_default())
    .execute(&mut *tx)
    .await?;
    audit::commit(
        tx,
        Entry::new(ctx, Some(&t), "agency.propose", "agency", agency_id).detail(&id),
    )
    .await?;
    super::search::note_local_write(ctx.tenant_id.as_deref().unwrap_or(""));
    Ok(id)
}

pub async fn proposals(db: &Db, ctx: &Ctx, only_pending: bool) -> AppResult<Vec<Proposal>> {
    let t = ctx.tenant()?;
    let mut sql = String::from(
        "SELECT p.id, p.agency_id, a.name AS agency_name, p.proposed_by, p.proposed_at, p.status, p.reason, p.payload \
         FROM agency_proposals p JOIN agencies a ON a.id = p.agency_id WHERE p.tenant_id = $1",
    );
    let partner = ctx.role == Role::Partner;
    if partner {
        sql.push_str(" AND p.agency_id = $2");
    } else {
        policy::require(ctx, Action::AdministerRegistry)?;
    }
    if only_pending {
        sql.push_str(" AND p.status = 'pending'");
    }
    sql.push_str(" ORDER BY p.proposed_at DESC");
    let mut q = sqlx::query(&sql).bind(t);
    if partner {
        q = q.bind(ctx.agency_id.clone().unwrap_or_default());
    }
    let rows = q.fetch_all(&db.pool).await?;
    let mut out = vec![];
    for r in &rows {
        let agency_id: String = r.get("agency_id");
        let current = load_input(&mut *db.pool.acquire().await?, t, &agency_id)
            .await
            .unwrap_or_default();
        out.push(Proposal {
            id: r.get("id"),
            agency_id,
            agency_name: r.get("agency_name"),
            proposed_by: r.get("proposed_by"),
            proposed_label: time::format_datetime(r.get::<String, _>("proposed_at").as_str()),
            proposed_at: r.get("proposed_at"),
            status: r.get("status"),
            reason: r.get("reason"),
            change: serde_json::from_str(r.get::<String, _>("payload").as_str())
                .unwrap_or_default(),
            current: ProposalInput {
                overview: current.overview,
                services: current.services,
                strengths: current.strengths,
                hours: current.hours,
                contacts: current.contacts,
            },
        });
    }
    Ok(out)
}

/// Approves (applies) or rejects (with a reason) a pending proposal.
pub async fn decide(
    db: &Db,
    ctx: &Ctx,
    proposal_id: &str,
    approve: bool,
    reason: &str,
) -> AppResult<()> {
    policy::require(ctx, Action::AdministerRegistry)?;
    let t = ctx.tenant()?.clone();
    let reason = crate::text::clean(reason);
    if !approve && reason.is_empty() {
        return Err(AppError::invalid(
            "reason",
            "差し戻す理由を入力してください。",
        ));
    }
    let mut tx = db.begin_write().await?;
    let row = sqlx::query(
        "SELECT agency_id, payload, status FROM agency_proposals WHERE id = $1 AND tenant_id = $2",
    )
    .bind(proposal_id)
    .bind(&t)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    if row.get::<String, _>("status") != "pending" {
        return Err(AppError::Conflict(
            "この提案は既に処理されています。".into(),
        ));
    }
    let agency_id: String = row.get("agency_id");
    if approve {
        let p: ProposalInput =
            serde_json::from_str(row.get::<String, _>("payload").as_str()).unwrap_or_default();
        let base = load_input(&mut tx, &t, &agency_id).await?;
        apply_update(
            &mut tx,
            ctx,
            &t,
            &agency_id,
            &apply_proposal(&base, &p),
            None,
            "proposal_approved",
        )
        .await?;
    }
    sqlx::query("UPDATE agency_proposals SET status = $1, decided_by = $2, decided_at = $3, reason = $4 WHERE id = $5 AND tenant_id = $6")
        .bind(if approve { "approved" } else { "rejected" })
        .bind(&ctx.login)
        .bind(time::now_db())
        .bind(&reason)
        .bind(proposal_id)
        .bind(&t)
        .execute(&mut *tx)
        .await?;
    let action = if approve {
        "agency.proposal_approve"
    } else {
        "agency.proposal_reject"
    };
    audit::commit(
        tx,
        Entry::new(ctx, Some(&t), action, "agency", &agency_id).detail(&reason),
    )
    .await?;
    super::search::note_local_write(ctx.tenant_id.as_deref().unwrap_or(""));
    Ok(())
}
