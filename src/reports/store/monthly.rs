//! The contractors' monthly reports (月次報告): a draft made from the contract staff's
//! casework of the month (children and families served, consultations, meetings held)
//! and the optional services held under the contract, its texts saved and submitted by
//! the contractor, then approved or returned (with a reason) by the municipality. A
//! month is reported once.

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::Row;

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
    /// 病院打合せ 3回 など
    #[serde(default)]
    pub meetings_held: String,
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
    rows.iter().map(report_from_row).collect()
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
        },
        status_label: model::report_status_label(&status).to_string(),
        status,
        return_reason: r.try_get("return_reason")?,
        submitted_by: r.try_get("submitted_by")?,
        decided_by: r.try_get("decided_by")?,
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
    let (from, to) = (
        format!("{month}-01T00:00:00"),
        format!("{month}-31T23:59:59.999999Z"),
    );
    let staff: Vec<String> =
        sqlx::query_scalar("SELECT id FROM users WHERE contract_id = $1 AND tenant_id = $2")
            .bind(contract_id)
            .bind(&t)
            .fetch_all(&db.pool)
            .await?;
    let (mut children, mut consultations) = (0i64, 0i64);
    for s in &staff {
        let row = sqlx::query("SELECT COUNT(DISTINCT child_id) AS c, COUNT(*) AS n FROM consultations WHERE tenant_id = $1 AND worker_id = $2 AND at >= $3 AND at <= $4")
            .bind(&t)
            .bind(s)
            .bind(&from)
            .bind(&to)
            .fetch_one(&db.pool)
            .await?;
        children += row.try_get::<i64, _>("c")?;
        consultations += row.try_get::<i64, _>("n")?;
    }
    let meetings: Vec<String> = sqlx::query_scalar("SELECT title FROM meetings WHERE tenant_id = $1 AND starts_at >= $2 AND starts_at <= $3 AND (council_id = $4 OR kind = 'committee') ORDER BY starts_at")
        .bind(&t)
        .bind(format!("{month}-01"))
        .bind(format!("{month}-31T23:59"))
        .bind(c.input.committee_id.clone().unwrap_or_default())
        .fetch_all(&db.pool)
        .await?;
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
            sqlx::query("UPDATE monthly_reports SET children_count = $1, families_count = $1, consultations = $2 WHERE id = $3 AND tenant_id = $4")
                .bind(children)
                .bind(consultations)
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
                 VALUES ($1, $2, $3, $4, $5, $5, $6, $9, '', $7, 'draft', '', $8)",
            )
            .bind(&id)
            .bind(&t)
            .bind(contract_id)
            .bind(&month)
            .bind(children)
            .bind(consultations)
            .bind(meetings.join("、"))
            .bind(time::now_db())
            .bind(services.unwrap_or_default())
            .execute(&mut *tx)
            .await?;
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
    let row = sqlx::query("SELECT r.status, r.month FROM monthly_reports r JOIN users u ON u.contract_id = r.contract_id WHERE r.id = $1 AND r.tenant_id = $2 AND u.id = $3")
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
