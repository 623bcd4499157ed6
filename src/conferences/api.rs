//! JSON API of case conferences (same policy, consent checks and audit as the pages).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, patch, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::store::{
    self, Conference, ConferenceInput, ConferenceRecord, ConferenceSummary, OutcomeInput,
    ParticipantInput, Reflected,
};
use crate::web::api::{ApiAuth, ApiError, ApiJson, ApiResult, Items};
use crate::web::AppState;
use crate::AppError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/children/{id}/conferences", get(list).post(create))
        .route("/conferences/{id}", get(one).patch(record))
        .route("/conferences/{id}/participants", post(add_participant))
        .route(
            "/conferences/{id}/participants/{pid}",
            delete(remove_participant),
        )
        .route("/conferences/{id}/outcomes", post(add_outcome))
        .route("/conferences/{id}/outcomes/{oid}", patch(set_outcome))
        .route("/conferences/{id}/reflect", post(reflect))
}

#[derive(Serialize)]
struct IdOut {
    id: String,
}

fn created(id: String) -> (StatusCode, Json<IdOut>) {
    (StatusCode::CREATED, Json(IdOut { id }))
}

/// The child's conferences, newest first.
async fn list(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
) -> ApiResult<Items<ConferenceSummary>> {
    Ok(Json(Items::page(
        store::list_for_child(&st.db, &a.ctx, &id).await?,
        None,
    )))
}

/// Plans a conference; `agenda` left out is the case-conference template; the
/// participants given are added all or nothing.
async fn create(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
    ApiJson(c): ApiJson<ConferenceInput>,
) -> Result<(StatusCode, Json<IdOut>), ApiError> {
    Ok(created(store::create(&st.db, &a.ctx, &id, &c).await?))
}

async fn one(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
) -> ApiResult<Conference> {
    Ok(Json(store::get(&st.db, &a.ctx, &id).await?))
}

/// Records attendance (`attended`: participant ids), `minutes` and `decisions`.
async fn record(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
    ApiJson(r): ApiJson<ConferenceRecord>,
) -> ApiResult<Conference> {
    store::record(&st.db, &a.ctx, &id, &r).await?;
    Ok(Json(store::get(&st.db, &a.ctx, &id).await?))
}

async fn add_participant(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<ParticipantInput>,
) -> Result<(StatusCode, Json<IdOut>), ApiError> {
    Ok(created(
        store::add_participant(&st.db, &a.ctx, &id, &p).await?,
    ))
}

async fn remove_participant(
    State(st): State<AppState>,
    a: ApiAuth,
    Path((id, pid)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    store::remove_participant(&st.db, &a.ctx, &id, &pid).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn add_outcome(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
    ApiJson(o): ApiJson<OutcomeInput>,
) -> Result<(StatusCode, Json<IdOut>), ApiError> {
    Ok(created(store::add_outcome(&st.db, &a.ctx, &id, &o).await?))
}

#[derive(Deserialize)]
struct OutcomeStatus {
    status: String,
}

async fn set_outcome(
    State(st): State<AppState>,
    a: ApiAuth,
    Path((id, oid)): Path<(String, String)>,
    ApiJson(s): ApiJson<OutcomeStatus>,
) -> Result<StatusCode, ApiError> {
    let done = match s.status.as_str() {
        "done" => true,
        "open" => false,
        _ => return Err(AppError::invalid("status", "status は open か done です。").into()),
    };
    store::set_outcome_done(&st.db, &a.ctx, &id, &oid, done).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// 「支援計画に反映」: 201 with the new plan revision and the number of actions added.
async fn reflect(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Reflected>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(store::reflect(&st.db, &a.ctx, &id).await?),
    ))
}
