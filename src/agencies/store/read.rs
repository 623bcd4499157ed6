//! Reading agencies: one agency with its contacts and scene links, the scene matrix, and
//! the whole registry for export.

use std::collections::HashMap;

use sqlx::Row;

use super::programs::program_from_row;
use super::{reader_tenant, Agency, SceneLinkRow};
use crate::agencies::model::{self, AgencyInput, ContactInput};
use crate::auth::{policy, Action, Ctx, Role};
use crate::db::Db;
use crate::error::AppResult;
use crate::AppError;

pub(super) const AGENCY_COLS: &str =
    "id, field, name, reading, address, overview, url, is_new, services, strengths, \
     disease_groups, age_min, age_max, hours, notes, version, created_at, updated_at";

pub(super) fn input_from_row(r: &sqlx::any::AnyRow) -> AppResult<AgencyInput> {
    let groups: String = r.try_get("disease_groups")?;
    Ok(AgencyInput {
        field: r.try_get("field")?,
        name: r.try_get("name")?,
        reading: r.try_get("reading")?,
        address: r.try_get("address")?,
        overview: r.try_get("overview")?,
        url: r.try_get("url")?,
        is_new: r.try_get::<i64, _>("is_new")? != 0,
        services: r.try_get("services")?,
        strengths: r.try_get("strengths")?,
        disease_groups: groups
            .split(',')
            .filter_map(|g| g.trim().parse().ok())
            .collect(),
        age_min: r.try_get("age_min")?,
        age_max: r.try_get("age_max")?,
        hours: r.try_get("hours")?,
        notes: r.try_get("notes")?,
        contacts: vec![],
    })
}

pub(super) fn contact_from_row(r: &sqlx::any::AnyRow) -> AppResult<ContactInput> {
    Ok(ContactInput {
        name: r.try_get("name")?,
        department: r.try_get("department")?,
        phone: r.try_get("phone")?,
        email: r.try_get("email")?,
        best_time: r.try_get("best_time")?,
    })
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
    let mut input = input_from_row(&row)?;
    let contacts = sqlx::query("SELECT name, department, phone, email, best_time FROM agency_contacts WHERE agency_id = $1 AND tenant_id = $2 ORDER BY position")
        .bind(id)
        .bind(t)
        .fetch_all(&db.pool)
        .await?;
    input.contacts = contacts
        .iter()
        .map(contact_from_row)
        .collect::<AppResult<_>>()?;
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
        id: row.try_get("id")?,
        input,
        version: row.try_get("version")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        scenes,
        programs: programs
            .iter()
            .map(program_from_row)
            .collect::<AppResult<_>>()?,
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
    rows.iter()
        .map(|r| {
            Ok(SceneLinkRow {
                scene_id: r.try_get("scene_id")?,
                scene: r.try_get("scene")?,
                agency_id: r.try_get("agency_id")?,
                agency_name: r.try_get("agency_name")?,
                agency_address: r.try_get("agency_address")?,
                agency_field: r.try_get("agency_field")?,
                method: r.try_get("method")?,
                content: r.try_get("content")?,
            })
        })
        .collect()
}

/// The whole scene × agency matrix (or one scene's part of it).
pub async fn matrix(db: &Db, ctx: &Ctx, scene_id: Option<&str>) -> AppResult<Vec<SceneLinkRow>> {
    policy::require(ctx, Action::ViewAgencies)?;
    scene_links(db, ctx.tenant()?, None, scene_id).await
}

pub fn validate_for(input: &AgencyInput, fields: &[String]) -> AppResult<AgencyInput> {
    model::validate(input, fields).map_err(AppError::Validation)
}

/// Everything needed to export the registry.
pub async fn export_data(
    db: &Db,
    ctx: &Ctx,
) -> AppResult<(
    Vec<crate::agencies::io::ExportAgency>,
    Vec<crate::agencies::io::SceneLink>,
)> {
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
            .entry(c.try_get("agency_id")?)
            .or_default()
            .push(contact_from_row(c)?);
    }
    let agencies = rows
        .iter()
        .map(|r| {
            let id: String = r.try_get("id")?;
            let mut input = input_from_row(r)?;
            input.contacts = by_agency.remove(&id).unwrap_or_default();
            Ok(crate::agencies::io::ExportAgency { id, input })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let links = scene_links(db, t, None, None)
        .await?
        .into_iter()
        .map(|l| crate::agencies::io::SceneLink {
            scene: l.scene,
            agency_name: l.agency_name,
            agency_address: l.agency_address,
            method: l.method,
            content: l.content,
        })
        .collect();
    Ok((agencies, links))
}
