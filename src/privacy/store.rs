//! SQL of retention and the family's rights: the tenant's retention setting, closing
//! and reopening a case, `yorube purge`, erasure on request, and the disclosure
//! document. Every function checks the policy (`Action::AdministerPrivacy`, and the
//! casework access check for one child) and takes the tenant from the `Ctx`.
//!
//! Deleting a child deletes its `children` row: every table of the child's record
//! cascades from it (family, workers, consents, consultations, plans, follow-ups,
//! referrals and their history, handovers, ecomap, indicators, case conferences with
//! their participants, outcomes and links from monthly reports, optional services'
//! participants). The one place where yorube itself copied a child's name into another
//! record is the contractors' monthly reports (子どもの変化, drafted per child): there
//! the names are masked (`model::MASK`) in the same transaction. Each deletion is one
//! audit entry with counts and the reason only.

use std::collections::HashSet;

use serde_json::Value;
use sqlx::Row;

use super::document::{Col, Disclosure, Part, Section, SECTIONS};
use super::model::{self, CloseForm, EraseForm, RetentionForm};
use crate::audit::{self, Entry};
use crate::auth::{policy, Action, Ctx, TenantId};
use crate::cases::access::{begin_child_write, child_access, commit_child_write};
use crate::db::{Conn, Db, Engine};
use crate::error::{AppError, AppResult};
use crate::time;

fn admin(ctx: &Ctx) -> AppResult<&TenantId> {
    policy::require(ctx, Action::AdministerPrivacy)?;
    ctx.tenant()
}

// ---------------------------------------------------------------- retention

/// The tenant's retention and how many closed cases it holds.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Retention {
    pub retention_years: i64,
    /// Closed cases (終結) held now.
    pub closed: i64,
    /// Of those, the ones `yorube purge` would delete today.
    pub expired: i64,
}

async fn years_of(conn: &mut Conn, t: &TenantId) -> AppResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT retention_years FROM tenants WHERE id = $1")
            .bind(t)
            .fetch_one(&mut *conn)
            .await?,
    )
}

/// Closed cases kept past the retention, after `c.tenant_id = $1 AND `: `$2` the cutoff
/// (`model::cutoff`). A change after closing counts as the closing (`closed_since`).
const EXPIRED: &str = "c.status = 'closed' AND c.closed_at IS NOT NULL \
     AND c.closed_at < $2 AND c.updated_at < $2";

/// One child, after `c.tenant_id = $1 AND `: `$2` its id.
const ONE: &str = "c.id = $2";

pub async fn retention(db: &Db, ctx: &Ctx) -> AppResult<Retention> {
    let t = admin(ctx)?;
    let mut conn = db.pool.acquire().await?;
    let years = years_of(&mut conn, t).await?;
    let closed: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM children c WHERE c.tenant_id = $1 AND c.status = 'closed'",
    )
    .bind(t)
    .fetch_one(&mut *conn)
    .await?;
    let expired: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM children c WHERE c.tenant_id = $1 AND {EXPIRED}"
    ))
    .bind(t)
    .bind(model::cutoff(time::now(), years))
    .fetch_one(&mut *conn)
    .await?;
    Ok(Retention {
        retention_years: years,
        closed,
        expired,
    })
}

/// Sets how many years closed cases are kept (audited as `tenant.retention`).
pub async fn set_retention(db: &Db, ctx: &Ctx, f: &RetentionForm) -> AppResult<i64> {
    let t = admin(ctx)?.clone();
    let years = f.parse().map_err(|e| AppError::Validation(vec![e]))?;
    let mut tx = db.begin_write().await?;
    let before = years_of(&mut tx, &t).await?;
    sqlx::query("UPDATE tenants SET retention_years = $1 WHERE id = $2")
        .bind(years)
        .bind(&t)
        .execute(&mut *tx)
        .await?;
    audit::commit(
        tx,
        Entry::new(ctx, Some(&t), "tenant.retention", "tenant", &t)
            .detail(&format!("終結ケースの保存期間 {before} 年 → {years} 年")),
    )
    .await?;
    Ok(years)
}

// ---------------------------------------------------------------- closing a case

/// Closes a case (終結): from then on its retention runs. Casework's write rule (the
/// caller may change this child's record), audited on the child as `child.close`.
pub async fn close_case(db: &Db, ctx: &Ctx, child_id: &str, f: &CloseForm) -> AppResult<()> {
    let t = ctx.tenant()?.clone();
    // Who may write this child first: another tenant's id is 404 whatever the form says.
    let mut tx = begin_child_write(db, ctx, child_id).await?;
    let reason = f.parse().map_err(|e| AppError::Validation(vec![e]))?;
    let now = time::now_db();
    let n = sqlx::query(
        "UPDATE children SET status = 'closed', closed_at = $1, close_reason = $2, version = version + 1, \
         updated_at = $1 WHERE id = $3 AND tenant_id = $4 AND status = 'active'",
    )
    .bind(&now)
    .bind(reason)
    .bind(child_id)
    .bind(&t)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(AppError::Conflict(
            "この子どもの支援はすでに終結しています。".into(),
        ));
    }
    commit_child_write(
        tx,
        ctx,
        &t,
        "child.close",
        child_id,
        model::close_reason_label(reason),
    )
    .await
}

/// Reopens a closed case (支援の再開): its retention no longer runs.
pub async fn reopen_case(db: &Db, ctx: &Ctx, child_id: &str) -> AppResult<()> {
    let t = ctx.tenant()?.clone();
    let mut tx = begin_child_write(db, ctx, child_id).await?;
    let n = sqlx::query(
        "UPDATE children SET status = 'active', closed_at = NULL, close_reason = '', version = version + 1, \
         updated_at = $1 WHERE id = $2 AND tenant_id = $3 AND status = 'closed'",
    )
    .bind(time::now_db())
    .bind(child_id)
    .bind(&t)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(AppError::Conflict(
            "この子どもは支援中です（終結していません）。".into(),
        ));
    }
    commit_child_write(tx, ctx, &t, "child.reopen", child_id, "").await
}

/// A closed case as the privacy page lists it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ClosedCase {
    pub id: String,
    pub name: String,
    pub reading: String,
    pub closed_at: String,
    pub close_reason: String,
    /// Since when it counts as closed (`model::closed_since`).
    pub since: String,
}

/// The tenant's closed cases, oldest first (audited as a list of children).
pub async fn closed_cases(db: &Db, ctx: &Ctx) -> AppResult<Vec<ClosedCase>> {
    let t = admin(ctx)?;
    let rows = sqlx::query(
        "SELECT c.id, c.name, c.reading, c.closed_at, c.close_reason, c.updated_at FROM children c \
         WHERE c.tenant_id = $1 AND c.status = 'closed' ORDER BY c.closed_at, c.id LIMIT 500",
    )
    .bind(t)
    .fetch_all(&db.pool)
    .await?;
    let mut out = vec![];
    for r in &rows {
        let closed_at: Option<String> = r.try_get("closed_at")?;
        let updated_at: String = r.try_get("updated_at")?;
        let since = model::closed_since(model::CLOSED, closed_at.as_deref(), &updated_at)
            .unwrap_or_else(|| updated_at.clone());
        out.push(ClosedCase {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            reading: r.try_get("reading")?,
            closed_at: closed_at.unwrap_or_default(),
            close_reason: r.try_get("close_reason")?,
            since,
        });
    }
    audit::record(
        db,
        Entry::new(ctx, Some(t), "child.list", "child", "-")
            .detail(&format!("終結ケース {} 件", out.len())),
    )
    .await?;
    Ok(out)
}

// ---------------------------------------------------------------- deleting children

/// Tables whose rows belong to a child, each with the condition that finds the rows of
/// the children `{ids}` (a subquery; `$1` is the tenant). All cascade from `children`.
const CHILD_ROWS: [(&str, &str); 16] = [
    ("family_members", "child_id IN ({ids})"),
    ("child_workers", "child_id IN ({ids})"),
    ("consents", "child_id IN ({ids})"),
    ("consultations", "child_id IN ({ids})"),
    ("support_plans", "child_id IN ({ids})"),
    ("follow_ups", "child_id IN ({ids})"),
    ("referrals", "child_id IN ({ids})"),
    ("handovers", "child_id IN ({ids})"),
    ("ecomap_nodes", "child_id IN ({ids})"),
    ("indicators", "child_id IN ({ids})"),
    ("meetings", "child_id IN ({ids})"),
    ("service_participants", "child_id IN ({ids})"),
    (
        "referral_events",
        "referral_id IN (SELECT r.id FROM referrals r WHERE r.tenant_id = $1 AND r.child_id IN ({ids}))",
    ),
    (
        "action_items",
        "meeting_id IN (SELECT m.id FROM meetings m WHERE m.tenant_id = $1 AND m.child_id IN ({ids}))",
    ),
    (
        "conference_participants",
        "meeting_id IN (SELECT m.id FROM meetings m WHERE m.tenant_id = $1 AND m.child_id IN ({ids}))",
    ),
    (
        "monthly_report_meetings",
        "meeting_id IN (SELECT m.id FROM meetings m WHERE m.tenant_id = $1 AND m.child_id IN ({ids}))",
    ),
];

/// The tables of `CHILD_ROWS` (for the tests, which count them before and after).
pub fn child_tables() -> Vec<&'static str> {
    CHILD_ROWS.iter().map(|(t, _)| *t).collect()
}

/// What deleting some children removes.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Removed {
    pub children: i64,
    /// Rows of their records besides the `children` rows.
    pub rows: i64,
    /// Monthly reports in which their names were masked.
    pub reports_masked: usize,
}

/// The children of tenant `$1` matching `pred` (`$2` `arg`): their ids and the names
/// to mask (the child's name and reading, the family's names).
async fn targets(
    conn: &mut Conn,
    t: &TenantId,
    pred: &str,
    arg: &str,
) -> AppResult<(Vec<String>, Vec<String>)> {
    let rows = sqlx::query(&format!(
        "SELECT c.id, c.name, c.reading FROM children c WHERE c.tenant_id = $1 AND {pred} ORDER BY c.id"
    ))
    .bind(t)
    .bind(arg)
    .fetch_all(&mut *conn)
    .await?;
    let mut ids = vec![];
    let mut names = vec![];
    for r in &rows {
        ids.push(r.try_get::<String, _>("id")?);
        let name: String = r.try_get("name")?;
        let reading: String = r.try_get("reading")?;
        names.extend(model::spellings(&[name, reading], 2));
    }
    let family: Vec<String> = sqlx::query_scalar(&format!(
        "SELECT f.name FROM family_members f WHERE f.tenant_id = $1 AND f.child_id IN \
         (SELECT c.id FROM children c WHERE c.tenant_id = $1 AND {pred})"
    ))
    .bind(t)
    .bind(arg)
    .fetch_all(&mut *conn)
    .await?;
    for n in model::spellings(&family, 3) {
        if !names.contains(&n) {
            names.push(n);
        }
    }
    names.sort_by_key(|s| std::cmp::Reverse(s.chars().count()));
    Ok((ids, names))
}

/// How many rows of the children matching `pred` the tables of `CHILD_ROWS` hold.
async fn count_rows(conn: &mut Conn, t: &TenantId, pred: &str, arg: &str) -> AppResult<i64> {
    let ids = format!("SELECT c.id FROM children c WHERE c.tenant_id = $1 AND {pred}");
    let terms: Vec<String> = CHILD_ROWS
        .iter()
        .map(|(table, cond)| {
            format!(
                "(SELECT COUNT(*) FROM {table} x WHERE x.tenant_id = $1 AND x.{})",
                cond.replace("{ids}", &ids)
            )
        })
        .collect();
    Ok(
        sqlx::query_scalar::<_, i64>(&format!("SELECT {}", terms.join(" + ")))
            .bind(t)
            .bind(arg)
            .fetch_one(&mut *conn)
            .await?,
    )
}

/// Masks `names` in the tenant's monthly reports; returns the reports changed.
async fn mask_reports(
    conn: &mut Conn,
    t: &TenantId,
    names: &[String],
) -> AppResult<HashSet<String>> {
    let mut changed = HashSet::new();
    for n in names {
        let ids: Vec<String> = sqlx::query_scalar(
            "UPDATE monthly_reports SET support_summary = REPLACE(support_summary, $2, $3), \
             changes = REPLACE(changes, $2, $3), meetings_held = REPLACE(meetings_held, $2, $3), \
             return_reason = REPLACE(return_reason, $2, $3) \
             WHERE tenant_id = $1 AND (support_summary <> REPLACE(support_summary, $2, $3) \
             OR changes <> REPLACE(changes, $2, $3) OR meetings_held <> REPLACE(meetings_held, $2, $3) \
             OR return_reason <> REPLACE(return_reason, $2, $3)) RETURNING id",
        )
        .bind(t)
        .bind(n)
        .bind(model::MASK)
        .fetch_all(&mut *conn)
        .await?;
        changed.extend(ids);
    }
    Ok(changed)
}

/// Deletes the children matching `pred` with everything of theirs, in the caller's
/// transaction. On SQLite the freed pages are overwritten (secure_delete), so that the
/// deleted records do not linger in the file.
async fn remove(
    conn: &mut Conn,
    db: &Db,
    t: &TenantId,
    pred: &str,
    arg: &str,
) -> AppResult<Removed> {
    let (ids, names) = targets(conn, t, pred, arg).await?;
    if ids.is_empty() {
        return Ok(Removed::default());
    }
    if db.engine() == Engine::Sqlite {
        sqlx::query("PRAGMA secure_delete = ON")
            .execute(&mut *conn)
            .await?;
    }
    let rows = count_rows(conn, t, pred, arg).await?;
    let masked = mask_reports(conn, t, &names).await?;
    for id in &ids {
        sqlx::query("DELETE FROM children WHERE id = $1 AND tenant_id = $2")
            .bind(id)
            .bind(t)
            .execute(&mut *conn)
            .await?;
    }
    Ok(Removed {
        children: ids.len() as i64,
        rows,
        reports_masked: masked.len(),
    })
}

fn removed_detail(r: &Removed) -> String {
    let mut s = format!("関連する記録 {} 件", r.rows);
    if r.reports_masked > 0 {
        s.push_str(&format!(
            "、月次報告 {} 件の氏名を伏せ字に",
            r.reports_masked
        ));
    }
    s
}

/// One tenant's line of `yorube purge`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PurgeCount {
    pub tenant_code: String,
    pub tenant_name: String,
    pub retention_years: i64,
    #[serde(flatten)]
    pub removed: Removed,
}

/// `yorube purge`: for each tenant (a `Ctx` of its administrator), the closed cases
/// kept longer than its retention. A dry run counts them and changes nothing; otherwise
/// they are deleted, all tenants in one transaction, with one `retention.purge` entry
/// per tenant that holds counts only.
pub async fn purge(db: &Db, tenants: &[Ctx], dry_run: bool) -> AppResult<Vec<PurgeCount>> {
    let now = time::now();
    let mut out = vec![];
    if dry_run {
        let mut conn = db.pool.acquire().await?;
        for ctx in tenants {
            let t = admin(ctx)?;
            let years = years_of(&mut conn, t).await?;
            let cutoff = model::cutoff(now, years);
            let (ids, _) = targets(&mut conn, t, EXPIRED, &cutoff).await?;
            let rows = count_rows(&mut conn, t, EXPIRED, &cutoff).await?;
            out.push(purge_line(ctx, years, ids.len() as i64, rows, 0));
        }
        return Ok(out);
    }
    let mut tx = db.begin_write().await?;
    for ctx in tenants {
        let t = admin(ctx)?;
        let years = years_of(&mut tx, t).await?;
        let cutoff = model::cutoff(now, years);
        let r = remove(&mut tx, db, t, EXPIRED, &cutoff).await?;
        let mut detail = format!(
            "保存期間 {years} 年を過ぎた終結ケース {} 人を削除",
            r.children
        );
        if r.children > 0 {
            detail.push_str(&format!("（{}）", removed_detail(&r)));
        }
        audit::append(
            &mut tx,
            Entry::new(ctx, Some(t), "retention.purge", "tenant", t).detail(&detail),
        )
        .await?;
        out.push(purge_line(ctx, years, r.children, r.rows, r.reports_masked));
    }
    tx.commit().await?;
    Ok(out)
}

fn purge_line(ctx: &Ctx, years: i64, children: i64, rows: i64, masked: usize) -> PurgeCount {
    PurgeCount {
        tenant_code: ctx.tenant_code.clone().unwrap_or_default(),
        tenant_name: ctx.tenant_name.clone().unwrap_or_default(),
        retention_years: years,
        removed: Removed {
            children,
            rows,
            reports_masked: masked,
        },
    }
}

/// Audits a refusal (403, 404) of a request about one child, then returns the error.
async fn refused(
    db: &Db,
    ctx: &Ctx,
    action: &str,
    child_id: &str,
    how: &str,
    e: AppError,
) -> AppError {
    let why = match &e {
        AppError::Forbidden(_) => "権限なし",
        _ => "見つからない（他の実施主体の記録、または存在しない番号）",
    };
    let id: String = child_id.chars().take(64).collect();
    let entry = Entry::new(ctx, ctx.tenant_id.as_deref(), action, "child", &id)
        .detail(&format!("{how}: {why}"));
    match audit::record(db, entry).await {
        Ok(_) => e,
        Err(audit_err) => audit_err,
    }
}

fn is_refusal(e: &AppError) -> bool {
    matches!(e, AppError::Forbidden(_) | AppError::NotFound)
}

/// Erases one child's record on request (the family's 利用停止・消去請求): the name
/// typed again must match, the reason must not name anyone of the record. Audited as
/// `child.erase` with the reason and counts, never the name.
pub async fn erase_child(db: &Db, ctx: &Ctx, child_id: &str, f: &EraseForm) -> AppResult<Removed> {
    match erase_inner(db, ctx, child_id, f).await {
        Ok(removed) => {
            db.ext::<crate::record::RecordCache>().forget(child_id);
            Ok(removed)
        }
        Err(e) if is_refusal(&e) => {
            Err(refused(db, ctx, "child.erase_refused", child_id, "削除", e).await)
        }
        other => other,
    }
}

async fn erase_inner(db: &Db, ctx: &Ctx, child_id: &str, f: &EraseForm) -> AppResult<Removed> {
    let t = admin(ctx)?.clone();
    let mut tx = db.begin_write().await?;
    child_access(&mut tx, ctx, child_id).await?;
    let row = sqlx::query("SELECT name, reading FROM children WHERE id = $1 AND tenant_id = $2")
        .bind(child_id)
        .bind(&t)
        .fetch_one(&mut *tx)
        .await?;
    let name: String = row.try_get("name")?;
    let reading: String = row.try_get("reading")?;
    let family: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM family_members WHERE child_id = $1 AND tenant_id = $2",
    )
    .bind(child_id)
    .bind(&t)
    .fetch_all(&mut *tx)
    .await?;
    let mut names = vec![name.clone(), reading];
    names.extend(family);
    let reason = f.check(&name, &names).map_err(AppError::Validation)?;
    let r = remove(&mut tx, db, &t, ONE, child_id).await?;
    audit::commit(
        tx,
        Entry::new(ctx, Some(&t), "child.erase", "child", child_id).detail(&format!(
            "請求により記録を削除（理由: {reason}）。{}",
            removed_detail(&r)
        )),
    )
    .await?;
    Ok(r)
}

// ---------------------------------------------------------------- disclosure

/// Where a disclosure was shown: the audit entry says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Page,
    Print,
    Json,
    Api,
}

impl Channel {
    pub fn label(self) -> &'static str {
        match self {
            Channel::Page => "画面で表示",
            Channel::Print => "印刷用に表示",
            Channel::Json => "JSON ファイルに書き出し",
            Channel::Api => "API で取得",
        }
    }
}

/// Each section's statement: `$1` the child, `$2` the tenant; the columns are the
/// section's (`document::SECTIONS`), by name.
fn section_sql(key: &str) -> &'static str {
    match key {
        "child" => "SELECT id, name, reading, birth_date, sex, disease_group, disease_name, certificate_number, \
             certificate_from, certificate_to, certified_at_18, school, grade, workplace, medical_care, household_notes, \
             status, closed_at, close_reason, created_at, updated_at FROM children WHERE id = $1 AND tenant_id = $2",
        "family_members" => "SELECT relation, name, birth_date, phone, is_guardian, supported, notes FROM family_members \
             WHERE child_id = $1 AND tenant_id = $2 ORDER BY position, id",
        "workers" => "SELECT u.display_name AS name, u.role, w.is_primary, w.assigned_at FROM child_workers w \
             JOIN users u ON u.id = w.user_id WHERE w.child_id = $1 AND w.tenant_id = $2 \
             ORDER BY w.is_primary DESC, w.assigned_at",
        "consents" => "SELECT c.id, a.name AS agency_name, c.purpose, c.items, c.valid_from, c.valid_to, c.method, \
             c.given_by, c.recorded_by, c.created_at, c.revoked_at, c.revoked_by, c.revoke_reason FROM consents c \
             LEFT JOIN agencies a ON a.id = c.agency_id AND a.tenant_id = c.tenant_id \
             WHERE c.child_id = $1 AND c.tenant_id = $2 ORDER BY c.created_at, c.id",
        "referrals" => "SELECT r.id, a.name AS agency_name, a.field AS agency_field, r.purpose, r.shared_items, r.message, \
             r.status, r.reason, r.outcome, r.created_by, r.created_at, r.accepted_at, r.closed_at FROM referrals r \
             LEFT JOIN agencies a ON a.id = r.agency_id AND a.tenant_id = r.tenant_id \
             WHERE r.child_id = $1 AND r.tenant_id = $2 ORDER BY r.created_at, r.id",
        "referral_events" => "SELECT e.referral_id, e.at, e.actor, e.from_status, e.to_status, e.note \
             FROM referral_events e JOIN referrals r ON r.id = e.referral_id AND r.tenant_id = e.tenant_id \
             WHERE r.child_id = $1 AND e.tenant_id = $2 ORDER BY e.at, e.id",
        "consultations" => "SELECT at, method, kind, participants, topics, minutes, destination, notes, next_action, \
             worker_name FROM consultations WHERE child_id = $1 AND tenant_id = $2 ORDER BY at, id",
        "support_plans" => "SELECT revision, child_words, guardian_words, long_term_goal, short_term_goals, review_date, \
             actions, note, created_by, created_at FROM support_plans WHERE child_id = $1 AND tenant_id = $2 \
             ORDER BY revision",
        "follow_ups" => "SELECT f.kind, f.due_date, f.note, u.display_name AS assigned, f.done_at, f.done_by \
             FROM follow_ups f LEFT JOIN users u ON u.id = f.assigned_to AND u.tenant_id = f.tenant_id \
             WHERE f.child_id = $1 AND f.tenant_id = $2 ORDER BY f.due_date, f.id",
        "indicators" => "SELECT kind, period, value, note, recorded_by, recorded_at FROM indicators \
             WHERE child_id = $1 AND tenant_id = $2 ORDER BY kind, period, id",
        "ecomap" => "SELECT agency_name, person_name, affiliation, contact, when_to_contact, strengths, can_do, field, \
             strength, created_at FROM ecomap_nodes WHERE child_id = $1 AND tenant_id = $2 ORDER BY created_at, id",
        "handovers" => "SELECT at, from_user, to_user, note FROM handovers WHERE child_id = $1 AND tenant_id = $2 \
             ORDER BY at, id",
        "conferences" => "SELECT id, title, purpose, starts_at, duration_minutes, place, online, agenda, attendance, \
             minutes, decisions, created_by, created_at FROM meetings WHERE child_id = $1 AND tenant_id = $2 \
             ORDER BY starts_at, id",
        "conference_participants" => "SELECT p.meeting_id, p.kind, p.name, p.affiliation, a.name AS agency_name, \
             p.attended FROM conference_participants p \
             JOIN meetings m ON m.id = p.meeting_id AND m.tenant_id = p.tenant_id \
             LEFT JOIN agencies a ON a.id = p.agency_id AND a.tenant_id = p.tenant_id \
             WHERE m.child_id = $1 AND p.tenant_id = $2 ORDER BY p.meeting_id, p.position",
        "conference_outcomes" => "SELECT i.meeting_id, i.description, i.owner, i.due_date, i.status, i.done_at \
             FROM action_items i JOIN meetings m ON m.id = i.meeting_id AND m.tenant_id = i.tenant_id \
             WHERE m.child_id = $1 AND i.tenant_id = $2 ORDER BY i.meeting_id, i.created_at, i.id",
        "services" => "SELECT s.name AS service_name, e.title AS event_title, e.date AS event_date, p.person_kind, \
             p.relation, p.person_name, p.status, p.note FROM service_participants p \
             JOIN service_events e ON e.id = p.event_id AND e.tenant_id = p.tenant_id \
             JOIN optional_services s ON s.id = e.service_id AND s.tenant_id = e.tenant_id \
             WHERE p.child_id = $1 AND p.tenant_id = $2 ORDER BY e.date, p.id",
        "access_log" => "SELECT a.seq, a.at, u.display_name AS actor_name, a.actor, a.action, a.detail \
             FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id AND u.tenant_id = a.tenant_id \
             WHERE a.entity_type = 'child' AND a.entity_id = $1 AND a.tenant_id = $2 ORDER BY a.seq",
        _ => "",
    }
}

fn value(r: &sqlx::any::AnyRow, c: &Col) -> Result<Value, sqlx::Error> {
    Ok(if c.kind.is_int() {
        r.try_get::<Option<i64>, _>(c.key)?
            .map(Value::from)
            .unwrap_or(Value::Null)
    } else {
        r.try_get::<Option<String>, _>(c.key)?
            .map(Value::from)
            .unwrap_or(Value::Null)
    })
}

async fn read_part(
    conn: &mut Conn,
    s: &'static Section,
    id: &str,
    t: &TenantId,
) -> AppResult<Part> {
    let rows = sqlx::query(section_sql(s.key))
        .bind(id)
        .bind(t)
        .fetch_all(&mut *conn)
        .await?;
    let rows = rows
        .iter()
        .map(|r| s.cols.iter().map(|c| value(r, c)).collect())
        .collect::<Result<Vec<Vec<Value>>, sqlx::Error>>()?;
    Ok(Part { section: s, rows })
}

/// Everything held about one child, for a disclosure request (開示請求): read in one
/// transaction with its `child.disclosure` entry, so that nothing is shown that was not
/// audited. A role without the right (403) or a child the caller may not see (404) is
/// refused and the refusal audited.
pub async fn disclosure(db: &Db, ctx: &Ctx, child_id: &str, how: Channel) -> AppResult<Disclosure> {
    match disclosure_inner(db, ctx, child_id, how).await {
        Err(e) if is_refusal(&e) => Err(refused(
            db,
            ctx,
            "child.disclosure_refused",
            child_id,
            how.label(),
            e,
        )
        .await),
        other => other,
    }
}

async fn disclosure_inner(
    db: &Db,
    ctx: &Ctx,
    child_id: &str,
    how: Channel,
) -> AppResult<Disclosure> {
    let t = admin(ctx)?.clone();
    let mut tx = db.begin_write().await?;
    child_access(&mut tx, ctx, child_id).await?;
    let mut parts = vec![];
    for s in SECTIONS {
        parts.push(read_part(&mut tx, s, child_id, &t).await?);
    }
    let d = Disclosure {
        child_id: child_id.to_string(),
        tenant_code: ctx.tenant_code.clone().unwrap_or_default(),
        tenant_name: ctx.tenant_name.clone().unwrap_or_default(),
        generated_at: time::now_db(),
        parts,
    };
    let counts: Vec<String> = d
        .parts
        .iter()
        .filter(|p| p.section.key != "child" && !p.rows.is_empty())
        .map(|p| format!("{} {}", p.section.title, p.rows.len()))
        .collect();
    audit::commit(
        tx,
        Entry::new(ctx, Some(&t), "child.disclosure", "child", child_id).detail(&format!(
            "{}（{}）",
            how.label(),
            counts.join("、")
        )),
    )
    .await?;
    Ok(d)
}

/// The tenant's retention, for the child's page (no count of cases).
pub async fn retention_years(db: &Db, ctx: &Ctx) -> AppResult<i64> {
    let t = admin(ctx)?;
    let mut conn = db.pool.acquire().await?;
    years_of(&mut conn, t).await
}

/// What the erasure page shows before anything is deleted: the name to type again and
/// how many rows would go (audited as a view of the record).
#[derive(Debug, Clone)]
pub struct ErasePreview {
    pub name: String,
    pub reading: String,
    pub status: String,
    pub rows: i64,
}

pub async fn erase_preview(db: &Db, ctx: &Ctx, child_id: &str) -> AppResult<ErasePreview> {
    match erase_preview_inner(db, ctx, child_id).await {
        Err(e) if is_refusal(&e) => {
            Err(refused(db, ctx, "child.erase_refused", child_id, "削除の確認", e).await)
        }
        other => other,
    }
}

async fn erase_preview_inner(db: &Db, ctx: &Ctx, child_id: &str) -> AppResult<ErasePreview> {
    let t = admin(ctx)?.clone();
    let mut conn = db.pool.acquire().await?;
    child_access(&mut conn, ctx, child_id).await?;
    let row =
        sqlx::query("SELECT name, reading, status FROM children WHERE id = $1 AND tenant_id = $2")
            .bind(child_id)
            .bind(&t)
            .fetch_one(&mut *conn)
            .await?;
    let rows = count_rows(&mut conn, &t, ONE, child_id).await?;
    drop(conn);
    audit::record(
        db,
        Entry::new(ctx, Some(&t), "child.view", "child", child_id).detail("削除の確認"),
    )
    .await?;
    Ok(ErasePreview {
        name: row.try_get("name")?,
        reading: row.try_get("reading")?,
        status: row.try_get("status")?,
        rows,
    })
}
