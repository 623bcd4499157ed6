//! JSON API of the collaboration network (same policy as the pages). The contracts'
//! monthly reports are `reports::api`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::store::{
    self, ActionItem, Contract, ContractInput, Council, CouncilDetail, CouncilInput, Goals,
    GoalsInput, Meeting, MeetingInput, MeetingRecord, MeetingSummary, MemberInput, Training,
    TrainingInput,
};
use crate::web::api::{ApiAuth, ApiError, ApiJson, ApiResult, Items};
use crate::web::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/collaboration-goals", get(goals).post(save_goals))
        .route("/councils", get(councils).post(create_council))
        .route("/councils/{id}", get(council))
        .route("/councils/{id}/members", post(add_member))
        .route("/meetings", get(meetings).post(create_meeting))
        .route("/meetings/{id}", get(meeting).patch(record_meeting))
        .route("/meetings/{id}/actions", post(add_action))
        .route("/action-items", get(open_actions))
        .route("/action-items/{id}", axum::routing::patch(set_action))
        .route("/trainings", get(trainings).post(create_training))
        .route("/trainings/{id}", get(training).patch(update_training))
        .route("/contracts", get(contracts).post(create_contract))
        .route("/contracts/{id}", get(contract))
    // The contracts' monthly reports are reports::api.
}

fn items<T>(items: Vec<T>) -> Json<Items<T>> {
    Json(Items::page(items, None))
}

#[derive(Serialize)]
struct IdOut {
    id: String,
}

fn created(id: String) -> (StatusCode, Json<IdOut>) {
    (StatusCode::CREATED, Json(IdOut { id }))
}

/// Every version of the tenant's goals, newest first.
async fn goals(State(st): State<AppState>, a: ApiAuth) -> ApiResult<Items<Goals>> {
    Ok(items(store::goal_versions(&st.db, &a.ctx).await?))
}

#[derive(Serialize)]
struct VersionOut {
    version: i64,
}

async fn save_goals(
    State(st): State<AppState>,
    a: ApiAuth,
    ApiJson(g): ApiJson<GoalsInput>,
) -> Result<(StatusCode, Json<VersionOut>), ApiError> {
    let version = store::save_goals(&st.db, &a.ctx, &g).await?;
    Ok((StatusCode::CREATED, Json(VersionOut { version })))
}

async fn councils(State(st): State<AppState>, a: ApiAuth) -> ApiResult<Items<Council>> {
    Ok(items(store::list_councils(&st.db, &a.ctx).await?))
}

async fn council(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
) -> ApiResult<CouncilDetail> {
    Ok(Json(store::get_council(&st.db, &a.ctx, &id).await?))
}

async fn create_council(
    State(st): State<AppState>,
    a: ApiAuth,
    ApiJson(c): ApiJson<CouncilInput>,
) -> Result<(StatusCode, Json<IdOut>), ApiError> {
    Ok(created(store::create_council(&st.db, &a.ctx, &c).await?))
}

async fn add_member(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
    ApiJson(m): ApiJson<MemberInput>,
) -> Result<(StatusCode, Json<IdOut>), ApiError> {
    Ok(created(store::add_member(&st.db, &a.ctx, &id, &m).await?))
}

async fn meetings(State(st): State<AppState>, a: ApiAuth) -> ApiResult<Items<MeetingSummary>> {
    Ok(items(store::list_meetings(&st.db, &a.ctx, None).await?))
}

#[derive(Deserialize)]
struct NewMeeting {
    #[serde(flatten)]
    m: MeetingInput,
    #[serde(default)]
    kind: Option<String>,
}

async fn create_meeting(
    State(st): State<AppState>,
    a: ApiAuth,
    ApiJson(m): ApiJson<NewMeeting>,
) -> Result<(StatusCode, Json<IdOut>), ApiError> {
    let kind = match m.kind.as_deref() {
        Some("committee") => "committee",
        Some("training") => "training",
        _ => "council",
    };
    Ok(created(
        store::create_meeting(&st.db, &a.ctx, kind, &m.m).await?,
    ))
}

async fn meeting(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
) -> ApiResult<Meeting> {
    Ok(Json(store::get_meeting(&st.db, &a.ctx, &id).await?))
}

async fn record_meeting(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
    ApiJson(r): ApiJson<MeetingRecord>,
) -> ApiResult<Meeting> {
    store::record_meeting(&st.db, &a.ctx, &id, &r).await?;
    Ok(Json(store::get_meeting(&st.db, &a.ctx, &id).await?))
}

async fn add_action(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
    ApiJson(x): ApiJson<ActionItem>,
) -> Result<(StatusCode, Json<IdOut>), ApiError> {
    Ok(created(store::add_action(&st.db, &a.ctx, &id, &x).await?))
}

async fn open_actions(State(st): State<AppState>, a: ApiAuth) -> ApiResult<Items<ActionItem>> {
    Ok(items(
        store::action_items(&st.db, &a.ctx, None, true).await?,
    ))
}

#[derive(Deserialize)]
struct ActionStatus {
    status: String,
}

async fn set_action(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
    ApiJson(s): ApiJson<ActionStatus>,
) -> Result<StatusCode, ApiError> {
    let done = match s.status.as_str() {
        "done" => true,
        "open" => false,
        _ => {
            return Err(crate::AppError::invalid("status", "status は open か done です。").into())
        }
    };
    store::set_action_done(&st.db, &a.ctx, &id, done).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn trainings(State(st): State<AppState>, a: ApiAuth) -> ApiResult<Items<Training>> {
    Ok(items(store::list_trainings(&st.db, &a.ctx).await?))
}

async fn training(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
) -> ApiResult<Training> {
    Ok(Json(store::get_training(&st.db, &a.ctx, &id).await?))
}

async fn create_training(
    State(st): State<AppState>,
    a: ApiAuth,
    ApiJson(t): ApiJson<TrainingInput>,
) -> Result<(StatusCode, Json<IdOut>), ApiError> {
    Ok(created(
        store::save_training(&st.db, &a.ctx, None, &t).await?,
    ))
}

async fn update_training(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
    ApiJson(t): ApiJson<TrainingInput>,
) -> ApiResult<Training> {
    store::save_training(&st.db, &a.ctx, Some(&id), &t).await?;
    Ok(Json(store::get_training(&st.db, &a.ctx, &id).await?))
}

async fn contracts(State(st): State<AppState>, a: ApiAuth) -> ApiResult<Items<Contract>> {
    Ok(items(store::list_contracts(&st.db, &a.ctx).await?))
}

async fn contract(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
) -> ApiResult<Contract> {
    Ok(Json(store::get_contract(&st.db, &a.ctx, &id).await?))
}

async fn create_contract(
    State(st): State<AppState>,
    a: ApiAuth,
    ApiJson(c): ApiJson<ContractInput>,
) -> Result<(StatusCode, Json<IdOut>), ApiError> {
    Ok(created(store::create_contract(&st.db, &a.ctx, &c).await?))
}
