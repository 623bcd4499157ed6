//! JSON API of retention and the family's rights (same policy and audit as the pages).

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::model::{CloseForm, EraseForm, RetentionForm};
use super::store::{self, Channel, Removed, Retention};
use crate::web::api::{ApiAuth, ApiJson, ApiResult};
use crate::web::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/privacy/retention", get(retention).post(set_retention))
        .route("/privacy/children/{id}", get(disclosure))
        .route("/privacy/children/{id}/close", post(close))
        .route("/privacy/children/{id}/reopen", post(reopen))
        .route("/privacy/children/{id}/erase", post(erase))
}

async fn retention(State(st): State<AppState>, a: ApiAuth) -> ApiResult<Retention> {
    Ok(Json(store::retention(&st.db, &a.ctx).await?))
}

/// `{"retention_years": 5}` (a number, or the text typed).
#[derive(Deserialize)]
struct RetentionIn {
    retention_years: serde_json::Value,
}

async fn set_retention(
    State(st): State<AppState>,
    a: ApiAuth,
    ApiJson(b): ApiJson<RetentionIn>,
) -> ApiResult<Retention> {
    let typed = match b.retention_years {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    };
    store::set_retention(
        &st.db,
        &a.ctx,
        &RetentionForm {
            retention_years: typed,
        },
    )
    .await?;
    Ok(Json(store::retention(&st.db, &a.ctx).await?))
}

/// The disclosure document: the same JSON as the page's export.json.
async fn disclosure(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
) -> ApiResult<serde_json::Value> {
    let d = store::disclosure(&st.db, &a.ctx, &id, Channel::Api).await?;
    Ok(Json(d.to_json()))
}

#[derive(Serialize)]
struct Status {
    id: String,
    status: &'static str,
}

async fn close(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
    ApiJson(f): ApiJson<CloseForm>,
) -> ApiResult<Status> {
    store::close_case(&st.db, &a.ctx, &id, &f).await?;
    Ok(Json(Status {
        id,
        status: super::model::CLOSED,
    }))
}

async fn reopen(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
) -> ApiResult<Status> {
    store::reopen_case(&st.db, &a.ctx, &id).await?;
    Ok(Json(Status {
        id,
        status: super::model::ACTIVE,
    }))
}

/// `{"reason": "…", "confirm_name": "…"}`: the counts of what was deleted.
async fn erase(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
    ApiJson(f): ApiJson<EraseForm>,
) -> ApiResult<Removed> {
    Ok(Json(store::erase_child(&st.db, &a.ctx, &id, &f).await?))
}
