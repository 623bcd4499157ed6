//! A child's timeline: consultations, plans, referrals and other events in one list.

use serde::Serialize;
use sqlx::Row;

use crate::auth::Ctx;
use crate::cases::access::child_access;
use crate::cases::access::reader;
use crate::cases::model;
use crate::db::{Conn, Db};
use crate::error::AppResult;
use crate::time;

#[derive(Debug, Clone, Serialize)]
pub struct TimelineItem {
    pub at: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub by: String,
}

/// One chronological view of a child's consultations, plans, referrals, follow-ups,
/// consents, handovers, indicators, the optional services used and the case conferences
/// held (past events only; newest first).
pub async fn timeline(
    db: &Db,
    ctx: &Ctx,
    child_id: &str,
    limit: i64,
) -> AppResult<Vec<TimelineItem>> {
    let t = reader(ctx)?.clone();
    let mut conn = db.pool.acquire().await?;
    child_access(&mut conn, ctx, child_id).await?;
    timeline_on(&mut conn, &t, child_id, limit).await
}

/// The timeline of a child whose access has been checked.
async fn timeline_on(
    conn: &mut Conn,
    t: &str,
    child_id: &str,
    limit: i64,
) -> AppResult<Vec<TimelineItem>> {
    let rows = sqlx::query(&TIMELINE_SQL)
        .bind(child_id)
        .bind(t)
        .bind(limit)
        .bind(time::now_db())
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(timeline_item(
                r.try_get("at")?,
                r.try_get("kind")?,
                r.try_get("title")?,
                r.try_get("body")?,
                r.try_get("who")?,
            ))
        })
        .collect()
}

/// A child's timeline, newest first ($1 child, $2 tenant, $3 limit, $4 now).
static TIMELINE_SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!("SELECT at, kind, title, body, who FROM ({TIMELINE_UNION}) x ORDER BY at DESC, kind, title, body LIMIT $3")
});

/// Everything that happened to a child, as (at, kind, title, body, who) rows
/// ($1 child, $2 tenant, $4 now: optional-service events and case conferences up to now).
const TIMELINE_UNION: &str = "\
           SELECT at, 'consultation' AS kind, method || '・' || kind || '（' || CAST(minutes AS TEXT) || '分）' AS title, \
             notes || CASE WHEN participants = '' AND topics = '' THEN '' ELSE '（参加: ' || participants || '／話題: ' || topics || '）' END AS body, worker_name AS who \
             FROM consultations WHERE child_id = $1 AND tenant_id = $2 \
           UNION ALL SELECT created_at, 'plan', '自立支援計画 第' || CAST(revision AS TEXT) || '版', long_term_goal, created_by FROM support_plans WHERE child_id = $1 AND tenant_id = $2 \
           UNION ALL SELECT e.at, 'referral', a.name || ': ' || e.to_status, e.note, e.actor FROM referral_events e JOIN referrals r ON r.id = e.referral_id JOIN agencies a ON a.id = r.agency_id WHERE r.child_id = $1 AND e.tenant_id = $2 \
           UNION ALL SELECT created_at, 'follow_up', kind, note || ' (' || due_date || ')', '' FROM follow_ups WHERE child_id = $1 AND tenant_id = $2 \
           UNION ALL SELECT c.created_at, 'consent', a.name, c.purpose, c.recorded_by FROM consents c JOIN agencies a ON a.id = c.agency_id WHERE c.child_id = $1 AND c.tenant_id = $2 \
           UNION ALL SELECT at, 'handover', from_user || ' → ' || to_user, note, from_user FROM handovers WHERE child_id = $1 AND tenant_id = $2 \
           UNION ALL SELECT recorded_at, 'indicator', kind || ' ' || period, CAST(value AS TEXT), recorded_by FROM indicators WHERE child_id = $1 AND tenant_id = $2 \
           UNION ALL SELECT e.starts_at, 'service', s.name || '（' || e.title || '）', p.person_kind || ' ' || p.relation || ' ' || p.person_name || ' ' || p.status, p.registered_by \
             FROM service_participants p JOIN service_events e ON e.id = p.event_id JOIN optional_services s ON s.id = e.service_id \
             WHERE p.child_id = $1 AND p.tenant_id = $2 AND e.starts_at <= $4 \
           UNION ALL SELECT m.starts_utc, 'conference', m.title, \
             m.purpose || CASE WHEN m.reflected_revision IS NULL THEN '' ELSE '（結果を自立支援計画 第' || CAST(m.reflected_revision AS TEXT) || '版に反映）' END, m.created_by \
             FROM meetings m WHERE m.child_id = $1 AND m.tenant_id = $2 AND m.kind = 'case_conference' AND m.starts_utc <= $4";

pub(super) fn timeline_item(
    at: String,
    kind: String,
    title: String,
    body: String,
    by: String,
) -> TimelineItem {
    let mut title = title;
    let mut body = body;
    if kind == "referral" {
        if let Some((name, st)) = title.rsplit_once(": ") {
            title = format!("{name}: {}", model::referral_status_label(st));
        }
    } else if kind == "follow_up" {
        title = model::follow_up_label(&title).to_string();
    } else if kind == "service" {
        body = crate::services::model::timeline_body(&body);
    } else if kind == "indicator" {
        if let Some((k, p)) = title.split_once(' ') {
            let label = model::INDICATOR_KINDS
                .iter()
                .find(|(x, _, _)| *x == k)
                .map(|(_, l, _)| *l)
                .unwrap_or(k);
            title = format!("{label} {p}");
        }
    }
    TimelineItem {
        at,
        kind,
        title,
        body,
        by,
    }
}
