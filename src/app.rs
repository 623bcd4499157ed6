//! The application: the one module that knows every capability. It puts their pages
//! and API routes together behind the shared layers (session and CSRF for pages, body
//! limit, security headers, panics turned into the error page).

use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;

use crate::web::{self, api, assets, csrf, pages, BODY_LIMIT};
use crate::AppError;

pub use crate::web::{AppState, Config};

pub fn router(state: AppState) -> Router {
    let pages = pages::routes()
        .merge(web::account::routes())
        .merge(web::totp::routes())
        .merge(crate::tenants::web::routes())
        .merge(crate::access_log::web::routes())
        .merge(crate::agencies::web::routes())
        .merge(crate::cases::web::routes())
        .merge(crate::conferences::web::routes())
        .merge(crate::network::web::routes())
        .merge(crate::services::web::routes())
        .merge(crate::record::routes())
        .merge(crate::surveys::web::routes())
        .merge(crate::surveys::engine::web::routes())
        .merge(crate::reports::web::routes())
        .merge(crate::reports::cost::web::routes())
        .merge(crate::reports::stats::web::routes())
        .merge(crate::reports::annual::routes())
        .merge(crate::reports::rollup::web::routes())
        .merge(crate::reports::indicators::web::routes())
        .merge(crate::privacy::web::routes())
        .fallback(web::page_not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            web::read_audit::layer,
        ))
        .layer(CatchPanicLayer::custom(page_panic))
        .layer(middleware::from_fn(web::form::refuse_nul))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            csrf::session_layer,
        ));
    let api = api::routes()
        .merge(crate::tenants::web::api_routes())
        .merge(crate::access_log::web::api_routes())
        .merge(crate::agencies::api::routes())
        .merge(crate::cases::api::routes())
        .merge(crate::conferences::api::routes())
        .merge(crate::network::api::routes())
        .merge(crate::services::api::routes())
        .merge(crate::record::api::routes())
        .merge(crate::surveys::api::routes())
        .merge(crate::surveys::engine::api::routes())
        .merge(crate::reports::api::routes())
        .merge(crate::reports::cost::api::routes())
        .merge(crate::reports::stats::api::routes())
        .merge(crate::reports::rollup::api::routes())
        .merge(crate::reports::indicators::web::api_routes())
        .merge(crate::privacy::api::routes())
        .fallback(web::api_not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            web::read_audit::layer,
        ))
        .layer(CatchPanicLayer::custom(api_panic))
        .layer(middleware::from_fn(web::form::refuse_nul_api));
    let max_in_flight = state.config.max_in_flight.max(1);
    Router::new()
        .route("/healthz", get(web::healthz))
        .merge(assets::routes())
        .merge(pages)
        .nest("/api/v1", api)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn(web::api_body_limit))
        // Beyond `max_in_flight` requests at once, 429 at once instead of a queue that
        // grows without limit (the soak benchmark's first run).
        .layer(
            tower::ServiceBuilder::new()
                .layer(axum::error_handling::HandleErrorLayer::new(web::overloaded))
                .load_shed()
                .concurrency_limit(max_in_flight),
        )
        .layer(middleware::from_fn_with_state(
            state.clone(),
            web::security_headers,
        ))
        .with_state(state)
}

/// The panic's message, for the log (never for the caller).
fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}

fn panicked(p: Box<dyn std::any::Any + Send>) -> AppError {
    AppError::Internal(anyhow::anyhow!(
        "a handler panicked: {}",
        panic_message(&*p)
    ))
}

/// A panic in a page handler: the Japanese 500 page, and the panic in the log
/// (`error_page` logs internal errors).
fn page_panic(p: Box<dyn std::any::Any + Send>) -> Response {
    pages::error_page(None, &panicked(p))
}

/// A panic in an API handler: a problem+json 500, and the panic in the log.
fn api_panic(p: Box<dyn std::any::Any + Send>) -> Response {
    api::ApiError(panicked(p)).into_response()
}
