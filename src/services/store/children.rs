//! The optional services seen from one child: what the child and family used or
//! booked (part of the child's record), and the children (with their families) the
//! caller may register for an event.

use serde::Serialize;
use sqlx::Row;

use super::participants::family_of;
use super::{parse_ymd, run_by, today};
use crate::auth::{Ctx, TenantId};
use crate::cases::access::child_access;
use crate::db::{Conn, Db};
use crate::error::AppResult;
use crate::services::model;

#[derive(Debug, Clone, Serialize)]
pub struct ChildUse {
    pub participant_id: String,
    pub event_id: String,
    pub service_id: String,
    pub service_name: String,
    pub kind: String,
    pub kind_label: String,
    pub run_by: String,
    pub event_title: String,
    pub date: String,
    pub date_label: String,
    pub start_time: String,
    pub end_time: String,
    pub place: String,
    pub person_kind: String,
    pub person_kind_label: String,
    pub relation: String,
    pub person_name: String,
    pub status: String,
    pub status_label: String,
    pub upcoming: bool,
}

/// Which services and events a child (and the child's family) used or booked, newest
/// first. Part of the child's record: the casework access check applies; the caller
/// audits the read (the record page's child.view covers it).
pub async fn child_uses(db: &Db, ctx: &Ctx, child_id: &str) -> AppResult<Vec<ChildUse>> {
    let t = ctx.tenant()?.clone();
    let mut conn = db.pool.acquire().await?;
    child_access(&mut conn, ctx, child_id).await?;
    child_uses_on(&mut conn, &t, child_id).await
}

/// The services a child (and family) used, for a child whose access has been checked.
pub async fn child_uses_on(
    conn: &mut Conn,
    t: &TenantId,
    child_id: &str,
) -> AppResult<Vec<ChildUse>> {
    let rows = sqlx::query(
        "SELECT p.id, p.event_id, e.service_id, s.name AS service_name, s.kind, c.contractor_name, e.title, e.date, e.start_time, e.end_time, \
         e.place, p.person_kind, p.relation, p.person_name, p.status \
         FROM service_participants p JOIN service_events e ON e.id = p.event_id AND e.tenant_id = p.tenant_id \
         JOIN optional_services s ON s.id = e.service_id AND s.tenant_id = e.tenant_id \
         LEFT JOIN contracts c ON c.id = s.contract_id AND c.tenant_id = s.tenant_id \
         WHERE p.child_id = $1 AND p.tenant_id = $2 ORDER BY e.starts_at DESC, p.person_kind, p.created_at, p.id",
    )
    .bind(child_id)
    .bind(t)
    .fetch_all(&mut *conn)
    .await?;
    let today = today();
    rows.iter()
        .map(|r| {
            let mut f: [String; 14] = Default::default();
            for (v, c) in f.iter_mut().zip([
                "id",
                "event_id",
                "service_id",
                "service_name",
                "kind",
                "title",
                "date",
                "start_time",
                "end_time",
                "place",
                "person_kind",
                "relation",
                "person_name",
                "status",
            ]) {
                *v = r.try_get(c)?;
            }
            Ok(child_use(f, r.try_get("contractor_name")?, &today))
        })
        .collect()
}

/// A use from its fields in this order: participant id, event id, service id, service
/// name, kind, event title, date, start, end, place, person kind, relation, person name,
/// status; then the contractor running it (None: the tenant itself).
pub fn child_use(f: [String; 14], contractor: Option<String>, today: &str) -> ChildUse {
    let [participant_id, event_id, service_id, service_name, kind, event_title, date, start_time, end_time, place, pk, relation, person_name, status] =
        f;
    ChildUse {
        participant_id,
        event_id,
        service_id,
        service_name,
        kind_label: model::kind_label(&kind).to_string(),
        kind,
        run_by: run_by(contractor),
        event_title,
        date_label: parse_ymd(&date)
            .map(model::date_label)
            .unwrap_or_else(|| date.clone()),
        upcoming: date.as_str() >= today,
        date,
        start_time,
        end_time,
        place,
        person_kind_label: model::person_kind_label(&pk).to_string(),
        person_kind: pk,
        relation,
        person_name,
        status_label: model::status_label(&status).to_string(),
        status,
    }
}

/// Children (and their families) the caller may register, found by name or reading,
/// for the event page. Reading the list is audited by cases::store::list_children.
pub struct Candidate {
    pub child_id: String,
    pub name: String,
    pub reading: String,
    pub age: i32,
    /// (family member id, 「妹 はな」, kind label)
    pub family: Vec<(String, String, &'static str)>,
}

pub async fn candidates(db: &Db, ctx: &Ctx, q: &str) -> AppResult<Vec<Candidate>> {
    let t = ctx.tenant()?.clone();
    if q.trim().is_empty() {
        return Ok(vec![]);
    }
    let (found, _) = crate::cases::store::list_children(
        db,
        ctx,
        &crate::cases::store::ChildFilter {
            q: q.to_string(),
            limit: Some(20),
            ..Default::default()
        },
    )
    .await?;
    let mut conn = db.pool.acquire().await?;
    let mut out = vec![];
    for c in found {
        let family = family_of(&mut conn, &t, &c.id).await?;
        out.push(Candidate {
            family: family
                .into_iter()
                .map(|f| {
                    let kind = model::person_kind(&f.relation, f.is_guardian);
                    (
                        f.id,
                        format!("{} {}", f.relation, f.name),
                        model::person_kind_label(kind),
                    )
                })
                .collect(),
            child_id: c.id,
            name: c.name,
            reading: c.reading,
            age: c.age,
        });
    }
    Ok(out)
}
