//! Pages of the measured indicators: `/reports/indicators` (staff) and
//! `/reports/indicators/council` (for a council meeting: no names, small groups
//! suppressed, anonymised cases; prints on A4), and `GET /api/v1/reports/indicators`.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};

use super::model::Series;
use super::store::{self, Indicators};
use crate::auth::{policy, Action};
use crate::web::api::{ApiAuth, ApiResult};
use crate::web::pages::{render_status, Auth, Page, PageResult, WithCtx};
use crate::web::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/reports/indicators", get(page))
        .route("/reports/indicators/council", get(council))
}

pub fn api_routes() -> Router<AppState> {
    Router::new().route("/reports/indicators", get(api))
}

/// A series as the page shows it: its chart and its points as text.
pub struct SeriesView {
    pub s: Series,
    pub chart: String,
    pub latest: String,
    pub points: Vec<(String, String)>,
}

fn fmt(v: Option<f64>, unit: &str) -> String {
    match v {
        None => "—".into(),
        Some(x) if (x - x.round()).abs() < 1e-9 => format!("{}{unit}", x.round() as i64),
        Some(x) => format!("{x:.1}{unit}"),
    }
}

fn view(s: &Series) -> SeriesView {
    SeriesView {
        chart: super::chart::line(s),
        latest: s
            .latest()
            .map(|p| format!("{}（{}）", fmt(p.value, s.unit), p.label))
            .unwrap_or_else(|| "まだ数字がありません".into()),
        points: s
            .points
            .iter()
            .map(|p| {
                (
                    p.label.clone(),
                    if p.value.is_none() && p.n > 0 {
                        format!(
                            "数が少ないため示しません（{} 件）",
                            if p.n < 5 {
                                "<5".to_string()
                            } else {
                                p.n.to_string()
                            }
                        )
                    } else {
                        fmt(p.value, s.unit)
                    },
                )
            })
            .collect(),
        s: s.clone(),
    }
}

#[derive(Template)]
#[template(path = "reports/indicators.html")]
struct IndicatorsPage {
    page: Page,
    council: bool,
    x: Indicators,
    tied: Vec<(usize, crate::network::store::Purpose, Option<SeriesView>)>,
    untied: Vec<SeriesView>,
    can_edit_goals: bool,
    tenant: String,
    today: String,
}

async fn show(st: &AppState, a: &Auth, council: bool) -> PageResult {
    let x = store::indicators(&st.db, &a.ctx, council)
        .await
        .page_err(a)?;
    let tied = x
        .purposes
        .iter()
        .enumerate()
        .map(|(i, p)| (i, p.purpose.clone(), p.series.as_ref().map(view)))
        .collect();
    let used: Vec<&str> = x
        .purposes
        .iter()
        .map(|p| p.purpose.measure.as_str())
        .collect();
    let untied = x
        .measures
        .iter()
        .filter(|m| !used.contains(&m.key))
        .map(view)
        .collect();
    Ok(render_status(
        StatusCode::OK,
        &IndicatorsPage {
            page: Page::for_auth(
                if council {
                    "協議会用の指標"
                } else {
                    "指標の推移"
                },
                a,
            ),
            council,
            tied,
            untied,
            can_edit_goals: policy::can(&a.ctx, Action::ManageNetwork),
            tenant: a.ctx.tenant_name.clone().unwrap_or_default(),
            today: crate::time::today_jst()
                .format("%Y年%-m月%-d日")
                .to_string(),
            x,
        },
    ))
}

async fn page(State(st): State<AppState>, a: Auth) -> PageResult {
    show(&st, &a, false).await
}

async fn council(State(st): State<AppState>, a: Auth) -> PageResult {
    show(&st, &a, true).await
}

async fn api(State(st): State<AppState>, a: ApiAuth) -> ApiResult<Indicators> {
    Ok(Json(store::indicators(&st.db, &a.ctx, false).await?))
}
