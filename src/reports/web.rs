//! Pages of the monthly reports: a contract's page with its reports (`/contracts/{id}`:
//! the contractor drafts a month from the records, saves and submits; the municipality
//! approves or returns), and the forms that change them.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use super::store::{self, LinkedMeeting, Report, ReportInput};
use crate::auth::{policy, Action};
use crate::error::FieldError;
use crate::network::store::{get_contract, Contract};
use crate::web::form::{Form, Query};
use crate::web::pages::{render_status, Auth, Page, PageResult, WithCtx};
use crate::web::AppState;
use crate::AppError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/contracts/{id}", get(contract_page))
        .route("/contracts/{id}/reports", post(report_draft))
        .route("/reports/{id}", post(report_save))
        .route("/reports/{id}/decision", post(report_decide))
        .route("/contracts/{id}/reports/{rid}/print", get(report_print))
        .route(
            "/contracts/{id}/reports/{rid}/download.xlsx",
            get(report_xlsx),
        )
}

/// The months of one 年度 (April–March) of a contract's reports, and their total.
pub struct YearTotal {
    pub label: String,
    pub months: Vec<Report>,
    pub children: i64,
    pub families: i64,
    pub consultations: i64,
    pub meetings: usize,
}

fn fiscal_year_of(month: &str) -> Option<i32> {
    chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")
        .ok()
        .map(crate::time::fiscal_year)
}

/// The reports by 年度, the latest first; each 年度's months in order with the sums
/// (延べ: a child seen in two months counts twice).
pub fn year_totals(reports: &[Report]) -> Vec<YearTotal> {
    let mut by: std::collections::BTreeMap<i32, Vec<Report>> = Default::default();
    for r in reports {
        if let Some(fy) = fiscal_year_of(&r.month) {
            by.entry(fy).or_default().push(r.clone());
        }
    }
    by.into_iter()
        .rev()
        .map(|(fy, mut months)| {
            months.sort_by(|a, b| a.month.cmp(&b.month));
            YearTotal {
                label: crate::time::format_fiscal_year(fy),
                children: months.iter().map(|r| r.children_count).sum(),
                families: months.iter().map(|r| r.families_count).sum(),
                consultations: months.iter().map(|r| r.consultations).sum(),
                meetings: months.iter().map(|r| r.meetings.len()).sum(),
                months,
            }
        })
        .collect()
}

fn notice(done: Option<&str>) -> Option<String> {
    Some(
        match done? {
            "contract" => "委託契約を登録しました。",
            "draft" => "月次報告の下書きを、担当した子どもの記録から作りました。",
            "saved" => "月次報告を保存しました。",
            "submitted" => "月次報告を提出しました。",
            "approved" => "月次報告を承認しました。",
            "returned" => "月次報告を差し戻しました。",
            _ => return None,
        }
        .to_string(),
    )
}

/// `?done=…`: what the page was sent back after, for its notice.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Done {
    done: Option<String>,
}

#[derive(Template)]
#[template(path = "reports/contract.html")]
struct ContractPage {
    page: Page,
    c: Contract,
    reports: Vec<Report>,
    /// The meetings each editable report may count (report id → the month's records).
    choices: std::collections::BTreeMap<String, Vec<LinkedMeeting>>,
    years: Vec<YearTotal>,
    contractor: bool,
    admin: bool,
    this_month: String,
    errors: Vec<FieldError>,
}

async fn contract_view(
    st: &AppState,
    a: &Auth,
    id: &str,
    errors: Vec<FieldError>,
    done: Option<&str>,
) -> PageResult {
    let c = get_contract(&st.db, &a.ctx, id).await.page_err(a)?;
    let reports = store::reports(&st.db, &a.ctx, id).await.page_err(a)?;
    let contractor = policy::can(&a.ctx, Action::SubmitReports);
    let mut choices = std::collections::BTreeMap::new();
    if contractor {
        for r in reports
            .iter()
            .filter(|r| r.status == "draft" || r.status == "returned")
        {
            let ms = store::meeting_choices(&st.db, &a.ctx, &c, &r.month)
                .await
                .page_err(a)?;
            choices.insert(r.id.clone(), ms);
        }
    }
    let years = year_totals(&reports);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(render_status(
        status,
        &ContractPage {
            page: Page::for_auth(format!("委託契約: {}", c.input.contractor_name), a)
                .notice(notice(done)),
            c,
            reports,
            choices,
            years,
            contractor,
            admin: policy::can(&a.ctx, Action::ManageContracts),
            this_month: crate::time::today_jst().format("%Y-%m").to_string(),
            errors,
        },
    ))
}

async fn contract_page(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> PageResult {
    contract_view(&st, &a, &id, vec![], d.done.as_deref()).await
}

/// The month to draft (YYYY-MM).
#[derive(Deserialize, Default)]
#[serde(default)]
struct DraftForm {
    month: String,
}

async fn report_draft(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Form(f): Form<DraftForm>,
) -> PageResult {
    match store::draft_report(&st.db, &a.ctx, &id, &f.month).await {
        Ok(_) => Ok(Redirect::to(&format!("/contracts/{id}?done=draft#reports")).into_response()),
        Err(AppError::Validation(e)) => contract_view(&st, &a, &id, e, None).await,
        Err(AppError::Conflict(m)) => {
            contract_view(&st, &a, &id, vec![FieldError::new("month", m)], None).await
        }
        Err(e) => Err(e).page_err(&a),
    }
}

/// A report's texts; `action` is "submit" to submit it, else it is saved.
#[derive(Deserialize, Default)]
#[serde(default)]
struct ReportForm {
    contract_id: String,
    action: String,
    support_summary: String,
    changes: String,
    meetings_held: String,
    /// The meeting records ticked (the form sends `meetings_given` with the list).
    meeting_ids: Vec<String>,
    meetings_given: String,
}

async fn report_save(
    State(st): State<AppState>,
    a: Auth,
    Path(rid): Path<String>,
    Form(f): Form<ReportForm>,
) -> PageResult {
    let contract = f.contract_id;
    let submit = f.action == "submit";
    let r = ReportInput {
        support_summary: f.support_summary,
        changes: f.changes,
        meetings_held: f.meetings_held,
        meeting_ids: (!f.meetings_given.is_empty()).then_some(f.meeting_ids),
    };
    match store::save_report(&st.db, &a.ctx, &rid, &r, submit).await {
        Ok(()) => Ok(Redirect::to(&format!(
            "/contracts/{contract}?done={}#reports",
            if submit { "submitted" } else { "saved" }
        ))
        .into_response()),
        Err(AppError::Validation(e)) => contract_view(&st, &a, &contract, e, None).await,
        Err(AppError::Conflict(m)) => {
            contract_view(&st, &a, &contract, vec![FieldError::new("report", m)], None).await
        }
        Err(e) => Err(e).page_err(&a),
    }
}

/// The municipality's decision: `decision` is "approve", else the report is returned
/// with `reason`.
#[derive(Deserialize, Default)]
#[serde(default)]
struct DecisionForm {
    contract_id: String,
    decision: String,
    reason: String,
}

async fn report_decide(
    State(st): State<AppState>,
    a: Auth,
    Path(rid): Path<String>,
    Form(f): Form<DecisionForm>,
) -> PageResult {
    let contract = f.contract_id;
    let approve = f.decision == "approve";
    match store::decide_report(&st.db, &a.ctx, &rid, approve, &f.reason).await {
        Ok(()) => Ok(Redirect::to(&format!(
            "/contracts/{contract}?done={}#reports",
            if approve { "approved" } else { "returned" }
        ))
        .into_response()),
        Err(AppError::Validation(e)) => contract_view(&st, &a, &contract, e, None).await,
        Err(AppError::Conflict(m)) => {
            contract_view(&st, &a, &contract, vec![FieldError::new("report", m)], None).await
        }
        Err(e) => Err(e).page_err(&a),
    }
}

#[derive(Template)]
#[template(path = "reports/monthly_print.html")]
struct ReportPrint {
    page: Page,
    c: Contract,
    r: Report,
    tenant: String,
}

async fn report_print(
    State(st): State<AppState>,
    a: Auth,
    Path((id, rid)): Path<(String, String)>,
) -> PageResult {
    let c = get_contract(&st.db, &a.ctx, &id).await.page_err(&a)?;
    let r = store::report(&st.db, &a.ctx, &id, &rid)
        .await
        .page_err(&a)?;
    Ok(render_status(
        StatusCode::OK,
        &ReportPrint {
            page: Page::for_auth(
                format!("月次報告 {} {}", r.month, c.input.contractor_name),
                &a,
            ),
            tenant: a.ctx.tenant_name.clone().unwrap_or_default(),
            c,
            r,
        },
    ))
}

/// The report as a workbook: 報告 (項目・内容, numbers as numbers) and 会議 (the
/// meeting records it counts).
pub fn report_workbook(c: &Contract, r: &Report) -> anyhow::Result<Vec<u8>> {
    use crate::render::xlsx::{workbook_cells, Cell, CellSheet};
    let text = |s: &str| Cell::Text(s.to_string());
    let num = |n: i64| Cell::Number(n as f64);
    let summary = CellSheet {
        name: "報告".into(),
        title: format!("月次報告 {}　{}", r.month, c.input.contractor_name),
        columns: vec![("項目".into(), 24.0), ("内容".into(), 90.0)],
        rows: vec![
            vec![text("委託先"), text(&c.input.contractor_name)],
            vec![text("報告する月"), text(&r.month)],
            vec![text("状況"), text(&r.status_label)],
            vec![text("利用児者数（人）"), num(r.children_count)],
            vec![text("家族（世帯）"), num(r.families_count)],
            vec![text("相談（件）"), num(r.consultations)],
            vec![text("会議（回）"), num(r.meetings.len() as i64)],
            vec![text("支援内容"), text(&r.input.support_summary)],
            vec![text("子どもの変化"), text(&r.input.changes)],
            vec![text("会議の補足"), text(&r.input.meetings_held)],
            vec![
                text("提出者"),
                text(r.submitted_by.as_deref().unwrap_or("")),
            ],
            vec![text("確認者"), text(r.decided_by.as_deref().unwrap_or(""))],
        ],
    };
    let meetings = CellSheet {
        name: "会議".into(),
        title: format!("{} に数えた会議の記録", r.month),
        columns: vec![
            ("日時".into(), 18.0),
            ("種類".into(), 14.0),
            ("会議名".into(), 60.0),
        ],
        rows: r
            .meetings
            .iter()
            .map(|m| {
                vec![
                    text(&m.starts_at.replace('T', " ")),
                    text(m.kind_label),
                    text(&m.title),
                ]
            })
            .collect(),
    };
    workbook_cells(&[summary, meetings])
}

async fn report_xlsx(
    State(st): State<AppState>,
    a: Auth,
    Path((id, rid)): Path<(String, String)>,
) -> Result<axum::response::Response, crate::web::pages::PageError> {
    let c = get_contract(&st.db, &a.ctx, &id).await.page_err(&a)?;
    let r = store::report(&st.db, &a.ctx, &id, &rid)
        .await
        .page_err(&a)?;
    let bytes = report_workbook(&c, &r)
        .map_err(AppError::Internal)
        .page_err(&a)?;
    Ok(crate::web::download::download(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("月次報告_{}_{}.xlsx", c.input.contractor_name, r.month),
    ))
}
