//! Pages of the activity statistics: `/reports` (this fiscal year) and
//! `/reports/activity` for any month, 年度 or range, optionally one contract; its A4
//! print, XLSX and CSV; and `/reports/activity/records`, the consultations behind a
//! figure for staff who may see them (audited).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use super::model::{fmt, Activity, Table};
use super::period::{Period, PeriodQuery};
use super::{chart, export, store};
use crate::auth::{policy, Action};
use crate::error::FieldError;
use crate::web::download::download;
use crate::web::form::Query;
use crate::web::pages::{render_status, Auth, Page, PageResult, WithCtx};
use crate::web::AppState;
use crate::AppError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/reports", get(page))
        .route("/reports/activity", get(page))
        .route("/reports/activity/print", get(print))
        .route("/reports/activity.xlsx", get(xlsx))
        .route("/reports/activity.csv", get(csv))
        .route("/reports/activity/records", get(records))
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct ActivityQuery {
    #[serde(flatten)]
    pub period: PeriodQuery,
    pub contract: String,
    pub key: String,
}

impl ActivityQuery {
    pub fn contract(&self) -> Option<&str> {
        Some(self.contract.trim()).filter(|c| !c.is_empty())
    }
}

/// A table as the page shows it.
pub struct TableView {
    pub t: Table,
    pub chart: Option<String>,
    pub cells: Vec<(String, String, String, String, Option<String>)>,
}

pub fn views(a: &Activity, charts: bool) -> Vec<TableView> {
    a.tables
        .iter()
        .map(|t| TableView {
            chart: (charts && t.chart && t.rows.iter().any(|r| r.value.unwrap_or(0.0) > 0.0))
                .then(|| chart::bars(t, &a.period_label, &a.previous_label)),
            cells: t
                .rows
                .iter()
                .map(|r| {
                    let delta = match (r.value, r.previous) {
                        (Some(v), Some(p)) if (v - p).abs() > 1e-9 => {
                            format!(
                                "{}{}",
                                if v > p { "+" } else { "−" },
                                fmt(Some((v - p).abs()))
                            )
                        }
                        (Some(_), Some(_)) => "±0".into(),
                        _ => String::new(),
                    };
                    (
                        r.label.clone(),
                        fmt(r.value),
                        fmt(r.previous),
                        delta,
                        r.drill.clone(),
                    )
                })
                .collect(),
            t: t.clone(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "reports/activity.html")]
struct ActivityPage {
    page: Page,
    print: bool,
    a: Option<Activity>,
    tables: Vec<TableView>,
    q: PeriodQuery,
    contract: String,
    contracts: Vec<(String, String)>,
    errors: Vec<FieldError>,
    query: String,
    can_drill: bool,
    tenant: String,
}

async fn contract_choices(st: &AppState, a: &Auth) -> Vec<(String, String)> {
    match crate::network::store::list_contracts(&st.db, &a.ctx).await {
        Ok(cs) if a.ctx.role != crate::auth::Role::Contractor => cs
            .into_iter()
            .map(|c| (c.id, c.input.contractor_name))
            .collect(),
        _ => vec![],
    }
}

async fn view(st: &AppState, a: &Auth, q: ActivityQuery, print: bool) -> PageResult {
    policy::require(&a.ctx, Action::ViewReports).page_err(a)?;
    let contracts = contract_choices(st, a).await;
    let (act, errors) = match q.period.parse(Period::this_fiscal_year()) {
        Ok(p) => (
            Some(
                store::activity(&st.db, &a.ctx, &p, q.contract())
                    .await
                    .page_err(a)?,
            ),
            vec![],
        ),
        Err(e) => (None, e),
    };
    let query = act
        .as_ref()
        .map(|x| {
            let mut s = x.period.query_string();
            if let Some(c) = &x.contract {
                s.push_str(&format!("&contract={c}"));
            }
            s
        })
        .unwrap_or_default();
    let tables = act.as_ref().map(|x| views(x, true)).unwrap_or_default();
    let title = match &act {
        Some(x) => format!("実績・統計 {}", x.period_label),
        None => "実績・統計".into(),
    };
    Ok(render_status(
        if errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        },
        &ActivityPage {
            page: Page::for_auth(title, a),
            print,
            tables,
            q: q.period.clone(),
            contract: q.contract.clone(),
            contracts,
            errors,
            query,
            can_drill: policy::can(&a.ctx, Action::ViewChildren),
            tenant: a.ctx.tenant_name.clone().unwrap_or_default(),
            a: act,
        },
    ))
}

async fn page(State(st): State<AppState>, a: Auth, Query(q): Query<ActivityQuery>) -> PageResult {
    view(&st, &a, q, false).await
}

async fn print(State(st): State<AppState>, a: Auth, Query(q): Query<ActivityQuery>) -> PageResult {
    view(&st, &a, q, true).await
}

async fn file(
    st: &AppState,
    a: &Auth,
    q: &ActivityQuery,
) -> Result<Activity, crate::web::pages::PageError> {
    let p = q
        .period
        .parse(Period::this_fiscal_year())
        .map_err(AppError::Validation)
        .page_err(a)?;
    store::activity(&st.db, &a.ctx, &p, q.contract())
        .await
        .page_err(a)
}

fn file_name(x: &Activity, ext: &str) -> String {
    format!(
        "実績_{}_{}〜{}.{ext}",
        x.period_label, x.period.from, x.period.to
    )
}

async fn xlsx(
    State(st): State<AppState>,
    a: Auth,
    Query(q): Query<ActivityQuery>,
) -> Result<Response, crate::web::pages::PageError> {
    let x = file(&st, &a, &q).await?;
    let bytes = export::xlsx(&x).map_err(AppError::Internal).page_err(&a)?;
    Ok(download(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &file_name(&x, "xlsx"),
    ))
}

async fn csv(
    State(st): State<AppState>,
    a: Auth,
    Query(q): Query<ActivityQuery>,
) -> Result<Response, crate::web::pages::PageError> {
    let x = file(&st, &a, &q).await?;
    Ok(download(
        export::csv(&x),
        "text/csv; charset=utf-8",
        &file_name(&x, "csv"),
    ))
}

#[derive(Template)]
#[template(path = "reports/records.html")]
struct RecordsPage {
    page: Page,
    label: String,
    period: String,
    rows: Vec<store::RecordRow>,
    back: String,
}

async fn records(
    State(st): State<AppState>,
    a: Auth,
    Query(q): Query<ActivityQuery>,
) -> PageResult {
    let p = q
        .period
        .parse(Period::this_fiscal_year())
        .map_err(AppError::Validation)
        .page_err(&a)?;
    let act = store::activity(&st.db, &a.ctx, &p, q.contract())
        .await
        .page_err(&a)?;
    let label = act
        .tables
        .iter()
        .flat_map(|t| t.rows.iter().map(move |r| (t, r)))
        .find(|(_, r)| r.drill.as_deref() == Some(q.key.as_str()))
        .map(|(t, r)| format!("{}: {}", t.title, r.label))
        .ok_or(AppError::NotFound)
        .page_err(&a)?;
    let rows = store::records(&st.db, &a.ctx, &p, q.contract(), &q.key)
        .await
        .page_err(&a)?;
    let mut back = p.query_string();
    if let Some(c) = q.contract() {
        back.push_str(&format!("&contract={c}"));
    }
    Ok(render_status(
        StatusCode::OK,
        &RecordsPage {
            page: Page::for_auth(format!("実績の内訳: {label}"), &a),
            label,
            period: p.label(),
            rows,
            back,
        },
    )
    .into_response())
}
