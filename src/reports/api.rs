//! JSON API of the monthly reports (same policy as the pages):
//! `GET`/`POST /contracts/{id}/reports` (list, draft a month), `PATCH /reports/{id}`
//! (texts, submit) and `POST /reports/{id}/decision` (approve or return).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::store::{self, Report, ReportInput};
use crate::web::api::{ApiAuth, ApiError, ApiJson, ApiResult, Items};
use crate::web::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/contracts/{id}/reports", get(reports).post(draft_report))
        .route("/reports/{id}", patch(save_report))
        .route("/reports/{id}/decision", post(decide_report))
}

#[derive(Serialize)]
struct IdOut {
    id: String,
}

async fn reports(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
) -> ApiResult<Items<Report>> {
    Ok(Json(Items::page(
        store::reports(&st.db, &a.ctx, &id).await?,
        None,
    )))
}

#[derive(Deserialize)]
struct Month {
    month: String,
}

async fn draft_report(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
    ApiJson(m): ApiJson<Month>,
) -> Result<(StatusCode, Json<IdOut>), ApiError> {
    let id = store::draft_report(&st.db, &a.ctx, &id, &m.month).await?;
    Ok((StatusCode::CREATED, Json(IdOut { id })))
}

#[derive(Deserialize)]
struct ReportSave {
    #[serde(flatten)]
    r: ReportInput,
    #[serde(default)]
    submit: bool,
}

async fn save_report(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
    ApiJson(r): ApiJson<ReportSave>,
) -> Result<StatusCode, ApiError> {
    store::save_report(&st.db, &a.ctx, &id, &r.r, r.submit).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct Decision {
    approve: bool,
    #[serde(default)]
    reason: String,
}

async fn decide_report(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
    ApiJson(d): ApiJson<Decision>,
) -> Result<StatusCode, ApiError> {
    store::decide_report(&st.db, &a.ctx, &id, d.approve, &d.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}
