//! JSON API of the statistics (same policy as the pages): `GET /reports/activity`
//! (`from`&`to`, `month` or `fiscal_year`, and `contract`), `GET /reports/annual`
//! (`fiscal_year`), `GET /reports/activity/records` (`key`: the consultations behind one
//! figure, audited).

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use super::model::Activity;
use super::period::{Period, PeriodQuery};
use super::store::{self, RecordRow};
use super::web::ActivityQuery;
use crate::error::FieldError;
use crate::web::api::{ApiAuth, ApiResult, Items};
use crate::web::form::Query;
use crate::web::AppState;
use crate::AppError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/reports/activity", get(activity))
        .route("/reports/activity/records", get(records))
        .route("/reports/annual", get(annual))
}

fn period(q: &PeriodQuery) -> Result<Period, AppError> {
    q.parse(Period::this_fiscal_year())
        .map_err(AppError::Validation)
}

async fn activity(
    State(st): State<AppState>,
    a: ApiAuth,
    Query(q): Query<ActivityQuery>,
) -> ApiResult<Activity> {
    let p = period(&q.period)?;
    Ok(Json(
        store::activity(&st.db, &a.ctx, &p, q.contract()).await?,
    ))
}

async fn records(
    State(st): State<AppState>,
    a: ApiAuth,
    Query(q): Query<ActivityQuery>,
) -> ApiResult<Items<RecordRow>> {
    let p = period(&q.period)?;
    if q.key.trim().is_empty() {
        return Err(AppError::Validation(vec![FieldError::new(
            "key",
            "内訳を見る数字（key）を指定してください。",
        )])
        .into());
    }
    Ok(Json(Items::page(
        store::records(&st.db, &a.ctx, &p, q.contract(), &q.key).await?,
        None,
    )))
}

#[derive(Serialize)]
struct Annual {
    fiscal_year: i32,
    fiscal_year_label: String,
    tenant: String,
    #[serde(flatten)]
    activity: Activity,
}

async fn annual(
    State(st): State<AppState>,
    a: ApiAuth,
    Query(q): Query<ActivityQuery>,
) -> ApiResult<Annual> {
    let p = super::super::annual::period(&q.period.fiscal_year)?;
    let activity = store::activity(&st.db, &a.ctx, &p, None).await?;
    Ok(Json(Annual {
        fiscal_year: chrono::Datelike::year(&p.from),
        fiscal_year_label: p.label(),
        tenant: a.ctx.tenant_name.clone().unwrap_or_default(),
        activity,
    }))
}
