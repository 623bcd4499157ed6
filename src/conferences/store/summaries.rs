//! One case conference in a child's list: the summary the list query and the record
//! page's own statement both decode (`summary_from`), in the list's order.

use serde::Serialize;

use super::when_label;
use crate::audit::{self, Entry};
use crate::auth::Ctx;
use crate::cases::access::child_access;
use crate::db::{Cols, Db};
use crate::error::AppResult;
use crate::time;

/// One conference in a child's list.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ConferenceSummary {
    pub id: String,
    pub child_id: String,
    pub title: String,
    pub purpose: String,
    /// Local time as typed (JST): 2026-01-20T14:00.
    pub starts_at: String,
    /// 令和8年1月20日 14:00
    pub when: String,
    pub duration_minutes: i64,
    pub place: String,
    pub online: bool,
    /// The support plan revision its outcomes were last reflected into.
    pub reflected_revision: Option<i64>,
    /// Not yet held (starts after now).
    pub upcoming: bool,
}

/// Newest first, as the list query orders them.
pub fn sort_summaries(list: &mut [ConferenceSummary]) {
    list.sort_by(|a, b| (&b.starts_at, &b.id).cmp(&(&a.starts_at, &a.id)));
}

pub(super) const SUMMARY_COLS: &str = "m.id, m.child_id, m.title, m.purpose, m.starts_at, m.starts_utc, m.duration_minutes, m.place, m.online, m.reflected_revision";

/// A conference's summary from a row with the columns of SUMMARY_COLS (the list's
/// query, or a 'conference' row of the record page's statement).
pub fn summary_from(r: &impl Cols, now: &str) -> AppResult<ConferenceSummary> {
    let starts_at = r.text("starts_at")?;
    Ok(ConferenceSummary {
        when: when_label(&starts_at),
        upcoming: r.opt_text("starts_utc")?.is_some_and(|u| u.as_str() > now),
        id: r.text("id")?,
        child_id: r.text("child_id")?,
        title: r.text("title")?,
        purpose: r.text("purpose")?,
        starts_at,
        duration_minutes: r.int("duration_minutes")?,
        place: r.text("place")?,
        online: r.flag("online")?,
        reflected_revision: r.opt_int("reflected_revision")?,
    })
}

/// The case conferences of one child, newest first (audited as a read of the record).
pub async fn list_for_child(
    db: &Db,
    ctx: &Ctx,
    child_id: &str,
) -> AppResult<Vec<ConferenceSummary>> {
    let t = ctx.tenant()?.clone();
    let mut conn = db.pool.acquire().await?;
    child_access(&mut conn, ctx, child_id).await?;
    let rows = sqlx::query(&format!(
        "SELECT {SUMMARY_COLS} FROM meetings m WHERE m.child_id = $1 AND m.tenant_id = $2 AND m.kind = 'case_conference' \
         ORDER BY m.starts_at DESC, m.id DESC"
    ))
    .bind(child_id)
    .bind(&t)
    .fetch_all(&mut *conn)
    .await?;
    drop(conn);
    let now = time::now_db();
    let list = rows
        .iter()
        .map(|r| summary_from(r, &now))
        .collect::<AppResult<Vec<_>>>()?;
    audit::record(
        db,
        Entry::new(ctx, Some(&t), "child.view", "child", child_id).detail("case_conferences"),
    )
    .await?;
    Ok(list)
}
