//! JSON API of the optional services (same policy and audit as the pages).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, patch};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::store::{
    self, ChildUse, Event, EventDetail, EventInput, Participant, RegisterInput, Service,
    ServiceInput, ServicePatch,
};
use crate::web::api::{ApiAuth, ApiError, ApiJson, ApiResult, Items};
use crate::web::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/services", get(list).post(create))
        .route("/services/{id}", get(one).patch(update))
        .route("/services/{id}/events", get(events).post(create_event))
        .route("/services/events/{id}", get(event).patch(update_event))
        .route(
            "/services/events/{id}/participants",
            get(participants).post(register),
        )
        .route(
            "/services/participants/{id}",
            patch(set_status).delete(cancel),
        )
        .route("/children/{id}/services", get(child_uses))
}

fn items<T>(items: Vec<T>) -> Json<Items<T>> {
    Json(Items::page(items, None))
}

#[derive(Serialize)]
struct IdOut {
    id: String,
}

async fn list(State(st): State<AppState>, a: ApiAuth) -> ApiResult<Items<Service>> {
    Ok(items(store::list_services(&st.db, &a.ctx).await?))
}

async fn create(
    State(st): State<AppState>,
    a: ApiAuth,
    ApiJson(s): ApiJson<ServiceInput>,
) -> Result<(StatusCode, Json<IdOut>), ApiError> {
    let id = store::create_service(&st.db, &a.ctx, &s).await?;
    Ok((StatusCode::CREATED, Json(IdOut { id })))
}

async fn one(State(st): State<AppState>, a: ApiAuth, Path(id): Path<String>) -> ApiResult<Service> {
    Ok(Json(store::get_service(&st.db, &a.ctx, &id).await?))
}

async fn update(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<ServicePatch>,
) -> ApiResult<Service> {
    store::update_service(&st.db, &a.ctx, &id, &p).await?;
    Ok(Json(store::get_service(&st.db, &a.ctx, &id).await?))
}

async fn events(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
) -> ApiResult<Items<Event>> {
    Ok(items(store::list_events(&st.db, &a.ctx, &id).await?))
}

async fn create_event(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
    ApiJson(e): ApiJson<EventInput>,
) -> Result<(StatusCode, Json<IdOut>), ApiError> {
    let id = store::create_event(&st.db, &a.ctx, &id, &e).await?;
    Ok((StatusCode::CREATED, Json(IdOut { id })))
}

async fn event(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
) -> ApiResult<EventDetail> {
    Ok(Json(store::get_event(&st.db, &a.ctx, &id).await?))
}

async fn update_event(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
    ApiJson(e): ApiJson<EventInput>,
) -> ApiResult<EventDetail> {
    store::update_event(&st.db, &a.ctx, &id, &e).await?;
    Ok(Json(store::get_event(&st.db, &a.ctx, &id).await?))
}

async fn participants(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
) -> ApiResult<Items<Participant>> {
    crate::auth::require(&a.ctx, crate::auth::Action::ViewChildren)?;
    Ok(items(
        store::get_event(&st.db, &a.ctx, &id).await?.participants,
    ))
}

#[derive(Serialize)]
struct Registered {
    ids: Vec<String>,
    event: EventDetail,
}

async fn register(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
    ApiJson(r): ApiJson<RegisterInput>,
) -> Result<(StatusCode, Json<Registered>), ApiError> {
    let ids = store::register(&st.db, &a.ctx, &id, &r).await?;
    let event = store::get_event(&st.db, &a.ctx, &id).await?;
    Ok((StatusCode::CREATED, Json(Registered { ids, event })))
}

#[derive(Deserialize)]
struct StatusIn {
    status: String,
}

async fn set_status(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
    ApiJson(s): ApiJson<StatusIn>,
) -> Result<StatusCode, ApiError> {
    store::set_status(&st.db, &a.ctx, &id, s.status.trim()).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn cancel(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    store::cancel(&st.db, &a.ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The services and events a child (and the family) used or booked; audited as a
/// read of the child's record.
async fn child_uses(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
) -> ApiResult<Items<ChildUse>> {
    let uses = store::child_uses(&st.db, &a.ctx, &id).await?;
    crate::audit::record(
        &st.db,
        crate::audit::Entry::new(
            &a.ctx,
            a.ctx.tenant_id.as_deref(),
            "child.view",
            "child",
            &id,
        )
        .detail("services"),
    )
    .await?;
    Ok(items(uses))
}
