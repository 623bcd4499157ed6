//! The contractors' monthly reports (月次報告): a draft made from the contract staff's
//! casework of the month (children and families served, consultations, meetings held)
//! and the optional services held under the contract, its texts saved and submitted by
//! the contractor, then approved or returned (with a reason) by the municipality. A
//! month is reported once.

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::draft::{draft, linked, meeting_counts, meetings_of, LinkedMeeting};
use super::new_id;
use crate::audit::{self, Entry};
use crate::auth::{policy, Action, Ctx};
use crate::db::Db;
use crate::error::{AppResult, FieldError};
use crate::network::model::month_in;
use crate::network::store::get_contract;
use crate::reports::model;
use crate::services::store::month_summary;
use crate::text::clean;
use crate::validate::check_texts;
use crate::{time, AppError};

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct ReportInput {
    #[serde(default)]
    pub support_summary: String,
    /// 子どもの変化
    #[serde(default)]
    pub changes: String,
    /// 補足（会議の記録にない打合せなど）
    #[serde(default)]
    pub meetings_held: String,
    /// The meeting records the report counts (ids of the month's candidates); absent:
    /// the links stay as they are.
    #[serde(default)]
    pub meeting_ids: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub id: String,
    pub contract_id: String,
    pub month: String,
    pub children_count: i64,
    pub families_count: i64,
    pub consultations: i64,
    #[serde(flatten)]
    pub input: ReportInput,
    pub status: String,
    pub status_label: String,
    pub return_reason: String,
    pub submitted_by: Option<String>,
    pub decided_by: Option<String>,
    /// The meeting records it counts, and their number by kind.
    pub meetings: Vec<LinkedMeeting>,
    pub meeting_counts: Vec<(&'static str, i64)>,
}

impl Report {
    /// Whether the report counts the meeting record `id`.
    pub fn counts(&self, id: &str) -> bool {
        self.meetings.iter().any(|m| m.id == id)
    }

    /// 「3 回（協議会 1 回、支援会議 2 回）」
    pub fn meetings_label(&self) -> String {
        if self.meetings.is_empty() {
            return "0 回".into();
        }
        format!(
            "{} 回（{}）",
            self.meetings.len(),
            self.meeting_counts
                .iter()
                .map(|(l, n)| format!("{l} {n} 回"))
                .collect::<Vec<_>>()
                .join("、")
        )
    }
}

pub async fn reports(db: &Db, ctx: &Ctx, contract_id: &str) -> AppResult<Vec<Report>> {
    get_contract(db, ctx, contract_id).await?;
    let rows = sqlx::query(
        "SELECT id, contract_id, month, children_count, families_count, consultations, support_summary, changes, meetings_held, status, return_reason, submitted_by, decided_by \
         FROM monthly_reports WHERE contract_id = $1 AND tenant_id = $2 ORDER BY month DESC",
    )
    .bind(contract_id)
    .bind(ctx.tenant()?)
    .fetch_all(&db.pool)
    .await?;
    let mut out: Vec<Report> = rows.iter().map(report_from_row).collect::<AppResult<_>>()?;
    let ids: Vec<String> = out.iter().map(|r| r.id.clone()).collect();
    let mut links = linked(db, ctx.tenant()?, &ids).await?;
    for r in &mut out {
        r.meetings = links.remove(&r.id).unwrap_or_default();
        r.meeting_counts = meeting_counts(&r.meetings);
    }
    Ok(out)
}

/// One report of a contract (for its print and XLSX).
pub async fn report(db: &Db, ctx: &Ctx, contract_id: &str, report_id: &str) -> AppResult<Report> {
    reports(db, ctx, contract_id)
        .await?
        .into_iter()
        .find(|r| r.id == report_id)
        .ok_or(AppError::NotFound)
}

/// The meetings a draft (or returned) report may count: the month's candidates.
pub async fn meeting_choices(
    db: &Db,
    ctx: &Ctx,
    c: &crate::network::store::Contract,
    month: &str,
) -> AppResult<Vec<LinkedMeeting>> {
    meetings_of(
        db,
        ctx.tenant()?,
        &c.id,
        c.input.committee_id.as_deref(),
        month,
    )
    .await
}

fn report_from_row(r: &AnyRow) -> AppResult<Report> {
    let status: String = r.try_get("status")?;
    Ok(Report {
        id: r.try_get("id")?,
        contract_id: r.try_get("contract_id")?,
        month: r.try_get("month")?,
        children_count: r.try_get("children_count")?,
        families_count: r.try_get("families_count")?,
        consultations: r.try_get("consultations")?,
        input: ReportInput {
            support_summary: r.try_get("support_summary")?,
            changes: r.try_get("changes")?,
            meetings_held: r.try_get("meetings_held")?,
            meeting_ids: None,
        },
        status_label: model::report_status_label(&status).to_string(),
        status,
        return_reason: r.try_get("return_reason")?,
        submitted_by: r.try_get("submitted_by")?,
        decided_by: r.try_get("decided_by")?,
        meetings: vec![],
        meeting_counts: vec![],
    })
}

/// Drafts (or refreshes the figures of) the month's report from the contract staff's
/// casework: children and families served, consultations, and meetings held; a new
/// draft's summary starts with the optional services held under the contract.
pub async fn draft_report(db: &Db, ctx: &Ctx, contract_id: &str, month: &str) -> AppResult<String> {
    policy::require(ctx, Action::SubmitReports)?;
    let t = ctx.tenant()?.clone();
    let c = get_contract(db, ctx, contract_id).await?;
    let month = crate::text::nfkc(month.trim());
    if !month_in(&month, &c.input.period_from, &c.input.period_to) {
        return Err(AppError::invalid(
            "month",
            format!(
                "{month} は契約期間（{}〜{}）の外です。",
                c.input.period_from, c.input.period_to
            ),
        ));
    }
    let d = draft(db, &t, contract_id, c.input.committee_id.as_deref(), &month).await?;
    // The optional services (努力義務事業) run under the contract that month start the
    // summary of a new draft.
    let services = {
        let mut conn = db.pool.acquire().await?;
        month_summary(&mut conn, &t, contract_id, &month).await?
    };
    let mut tx = db.begin_write().await?;
    let existing = sqlx::query("SELECT id, status FROM monthly_reports WHERE contract_id = $1 AND month = $2 AND tenant_id = $3").bind(contract_id).bind(&month).bind(&t).fetch_optional(&mut *tx).await?;
    let id = match existing {
        Some(r) => {
            let status: String = r.try_get("status")?;
            if status == "submitted" || status == "approved" {
                return Err(AppError::Conflict(format!(
                    "{month} の月次報告は既に{}です。同じ月を二度提出することはできません。",
                    model::report_status_label(&status)
                )));
            }
            let id: String = r.try_get("id")?;
            // Refreshed figures; 子どもの変化 is drafted again only while it is empty,
            // and the meeting links stay as the contractor left them.
            sqlx::query("UPDATE monthly_reports SET children_count = $1, families_count = $2, consultations = $3, changes = CASE WHEN changes = '' THEN $4 ELSE changes END WHERE id = $5 AND tenant_id = $6")
                .bind(d.children)
                .bind(d.families)
                .bind(d.consultations)
                .bind(&d.changes)
                .bind(&id)
                .bind(&t)
                .execute(&mut *tx)
                .await?;
            id
        }
        None => {
            let id = new_id();
            sqlx::query(
                "INSERT INTO monthly_reports (id, tenant_id, contract_id, month, children_count, families_count, consultations, support_summary, changes, meetings_held, status, return_reason, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, '', 'draft', '', $10)",
            )
            .bind(&id)
            .bind(&t)
            .bind(contract_id)
            .bind(&month)
            .bind(d.children)
            .bind(d.families)
            .bind(d.consultations)
            .bind(services.unwrap_or_default())
            .bind(&d.changes)
            .bind(time::now_db())
            .execute(&mut *tx)
            .await?;
            for m in &d.meetings {
                sqlx::query("INSERT INTO monthly_report_meetings (report_id, tenant_id, meeting_id) VALUES ($1, $2, $3)")
                    .bind(&id)
                    .bind(&t)
                    .bind(&m.id)
                    .execute(&mut *tx)
                    .await?;
            }
            id
        }
    };
    audit::commit(
        tx,
        Entry::new(ctx, Some(&t), "report.draft", "monthly_report", &id).detail(&month),
    )
    .await?;
    Ok(id)
}

/// Saves the texts of a draft (or returned) report and, when `submit`, submits it.
pub async fn save_report(
    db: &Db,
    ctx: &Ctx,
    report_id: &str,
    r: &ReportInput,
    submit: bool,
) -> AppResult<()> {
    policy::require(ctx, Action::SubmitReports)?;
    let t = ctx.tenant()?.clone();
    let mut errs = vec![];
    check_texts(
        &mut errs,
        &[
            ("support_summary", &r.support_summary),
            ("changes", &r.changes),
            ("meetings_held", &r.meetings_held),
        ],
        10_000,
    );
    if submit && r.support_summary.trim().is_empty() {
        errs.push(FieldError::new(
            "support_summary",
            "支援内容を書いてから提出してください。",
        ));
    }
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let mut tx = db.begin_write().await?;
    let row = sqlx::query("SELECT r.status, r.month, r.contract_id, c.committee_id FROM monthly_reports r JOIN users u ON u.contract_id = r.contract_id JOIN contracts c ON c.id = r.contract_id AND c.tenant_id = r.tenant_id WHERE r.id = $1 AND r.tenant_id = $2 AND u.id = $3")
        .bind(report_id)
        .bind(&t)
        .bind(&ctx.user_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AppError::NotFound)?;
    let status: String = row.try_get("status")?;
    let month: String = row.try_get("month")?;
    if status == "submitted" || status == "approved" {
        return Err(AppError::Conflict(format!(
            "{month} の月次報告は既に{}です。同じ月を二度提出することはできません。",
            model::report_status_label(&status)
        )));
    }
    if let Some(ids) = &r.meeting_ids {
        let contract: String = row.try_get("contract_id")?;
        let committee: Option<String> = row.try_get("committee_id")?;
        let pool = meetings_of(db, &t, &contract, committee.as_deref(), &month).await?;
        let mut seen = std::collections::HashSet::new();
        for id in ids.iter().map(|i| i.trim()).filter(|i| !i.is_empty()) {
            if !pool.iter().any(|m| m.id == id) {
                return Err(AppError::invalid(
                    "meeting_ids",
                    format!("{month} に数えられる会議の記録から選んでください。"),
                ));
            }
            seen.insert(id.to_string());
        }
        sqlx::query("DELETE FROM monthly_report_meetings WHERE report_id = $1 AND tenant_id = $2")
            .bind(report_id)
            .bind(&t)
            .execute(&mut *tx)
            .await?;
        for id in &seen {
            sqlx::query("INSERT INTO monthly_report_meetings (report_id, tenant_id, meeting_id) VALUES ($1, $2, $3)")
                .bind(report_id)
                .bind(&t)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
    }
    let new_status = if submit { "submitted" } else { status.as_str() };
    sqlx::query("UPDATE monthly_reports SET support_summary = $1, changes = $2, meetings_held = $3, status = $4, submitted_by = $5, submitted_at = $6 WHERE id = $7 AND tenant_id = $8")
        .bind(r.support_summary.trim())
        .bind(r.changes.trim())
        .bind(r.meetings_held.trim())
        .bind(new_status)
        .bind(submit.then(|| ctx.display_name.clone()))
        .bind(submit.then(time::now_db))
        .bind(report_id)
        .bind(&t)
        .execute(&mut *tx)
        .await?;
    audit::commit(
        tx,
        Entry::new(
            ctx,
            Some(&t),
            if submit {
                "report.submit"
            } else {
                "report.save"
            },
            "monthly_report",
            report_id,
        )
        .detail(&month),
    )
    .await?;
    Ok(())
}

/// The municipality approves a submitted report or returns it with a reason.
pub async fn decide_report(
    db: &Db,
    ctx: &Ctx,
    report_id: &str,
    approve: bool,
    reason: &str,
) -> AppResult<()> {
    policy::require(ctx, Action::ManageContracts)?;
    let t = ctx.tenant()?.clone();
    let reason = clean(reason);
    if !approve && reason.is_empty() {
        return Err(AppError::invalid(
            "reason",
            "差し戻す理由を書いてください。",
        ));
    }
    let mut tx = db.begin_write().await?;
    let status: Option<String> =
        sqlx::query_scalar("SELECT status FROM monthly_reports WHERE id = $1 AND tenant_id = $2")
            .bind(report_id)
            .bind(&t)
            .fetch_optional(&mut *tx)
            .await?;
    match status.as_deref() {
        None => return Err(AppError::NotFound),
        Some("submitted") => {}
        Some(s) => {
            return Err(AppError::Conflict(format!(
                "提出済みの報告だけを承認・差し戻しできます（現在: {}）。",
                model::report_status_label(s)
            )))
        }
    }
    sqlx::query("UPDATE monthly_reports SET status = $1, return_reason = $2, decided_by = $3, decided_at = $4 WHERE id = $5 AND tenant_id = $6")
        .bind(if approve { "approved" } else { "returned" })
        .bind(&reason)
        .bind(&ctx.display_name)
        .bind(time::now_db())
        .bind(report_id)
        .bind(&t)
        .execute(&mut *tx)
        .await?;
    audit::commit(
        tx,
        Entry::new(
            ctx,
            Some(&t),
            if approve {
                "report.approve"
            } else {
                "report.return"
            },
            "monthly_report",
            report_id,
        )
        .detail(&reason),
    )
    .await?;
    Ok(())
}
