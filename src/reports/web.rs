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

use super::store::{self, Report, ReportInput};
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
            contractor: policy::can(&a.ctx, Action::SubmitReports),
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
