//! 実績報告 (the annual report): the figures a 実施主体 reports for a fiscal year, in
//! 令和 years with the municipality's name, on two A4 pages and as an XLSX; each figure
//! links to the records behind it (`/reports/activity/records`) for staff who may see them.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::Datelike;
use serde::Deserialize;

use crate::auth::{policy, Action};
use crate::error::FieldError;
use crate::reports::stats::period::{Period, PeriodQuery};
use crate::reports::stats::web::{views, TableView};
use crate::reports::stats::{export, store};
use crate::web::download::download;
use crate::web::form::Query;
use crate::web::pages::{render_status, Auth, Page, PageError, PageResult, WithCtx};
use crate::web::AppState;
use crate::AppError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/reports/annual", get(page))
        .route("/reports/annual/print", get(print))
        .route("/reports/annual.xlsx", get(xlsx))
}

/// The fiscal year asked for (2026, 令和8年度); this fiscal year when blank.
pub fn period(fy: &str) -> Result<Period, AppError> {
    PeriodQuery {
        fiscal_year: fy.to_string(),
        ..PeriodQuery::default()
    }
    .parse(Period::this_fiscal_year())
    .map_err(AppError::Validation)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AnnualQuery {
    fiscal_year: String,
}

/// Page 1: the consultations (相談支援事業); page 2: the network and the services.
const PAGE1: [&str; 6] = [
    "summary",
    "by_month",
    "method",
    "kind",
    "disease_group",
    "age",
];

#[derive(Template)]
#[template(path = "reports/annual.html")]
struct AnnualPage {
    page: Page,
    print: bool,
    tenant: String,
    fy_label: String,
    fy: i32,
    from: String,
    to: String,
    first: Vec<TableView>,
    second: Vec<TableView>,
    previous_label: String,
    query: String,
    can_drill: bool,
    today: String,
    errors: Vec<FieldError>,
    typed: String,
}

async fn view(st: &AppState, a: &Auth, q: AnnualQuery, print: bool) -> PageResult {
    policy::require(&a.ctx, Action::ViewReports).page_err(a)?;
    let (p, errors) = match period(&q.fiscal_year) {
        Ok(p) => (p, vec![]),
        Err(AppError::Validation(e)) => (Period::this_fiscal_year(), e),
        Err(e) => return Err(e).page_err(a),
    };
    let act = store::activity(&st.db, &a.ctx, &p, None)
        .await
        .page_err(a)?;
    let (first, second): (Vec<TableView>, Vec<TableView>) = views(&act, false)
        .into_iter()
        .filter(|v| v.t.key != "topic" && v.t.key != "accompaniment" && v.t.key != "referral_field")
        .partition(|v| PAGE1.contains(&v.t.key));
    let tenant = a.ctx.tenant_name.clone().unwrap_or_default();
    Ok(render_status(
        if errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        },
        &AnnualPage {
            page: Page::for_auth(format!("実績報告 {}", act.period_label), a),
            print,
            fy: p.from.year(),
            fy_label: act.period_label.clone(),
            from: crate::time::format_wareki(p.from),
            to: crate::time::format_wareki(p.to),
            first,
            second,
            previous_label: act.previous_label.clone(),
            query: p.query_string(),
            can_drill: policy::can(&a.ctx, Action::ViewChildren),
            today: crate::time::format_wareki(crate::time::today_jst()),
            errors,
            typed: q.fiscal_year,
            tenant,
        },
    ))
}

async fn page(State(st): State<AppState>, a: Auth, Query(q): Query<AnnualQuery>) -> PageResult {
    view(&st, &a, q, false).await
}

async fn print(State(st): State<AppState>, a: Auth, Query(q): Query<AnnualQuery>) -> PageResult {
    view(&st, &a, q, true).await
}

async fn xlsx(
    State(st): State<AppState>,
    a: Auth,
    Query(q): Query<AnnualQuery>,
) -> Result<Response, PageError> {
    let p = period(&q.fiscal_year).page_err(&a)?;
    let act = store::activity(&st.db, &a.ctx, &p, None)
        .await
        .page_err(&a)?;
    let bytes = export::xlsx(&act)
        .map_err(AppError::Internal)
        .page_err(&a)?;
    Ok(download(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!(
            "実績報告_{}_{}.xlsx",
            a.ctx.tenant_name.clone().unwrap_or_default(),
            act.period_label
        ),
    ))
}
