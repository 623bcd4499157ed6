//! Static assets, embedded in the binary: the page never requests anything outside the server.

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use super::AppState;

const CSS: &str = include_str!("../../assets/yorube.css");
const FAVICON: &str = include_str!("../../assets/favicon.svg");
const SURVEY_JS: &str = include_str!("../../assets/survey.js");

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/assets/yorube.css",
            get(|| async { asset("text/css; charset=utf-8", CSS) }),
        )
        .route(
            "/assets/survey.js",
            get(|| async { asset("text/javascript; charset=utf-8", SURVEY_JS) }),
        )
        .route(
            "/assets/favicon.svg",
            get(|| async { asset("image/svg+xml", FAVICON) }),
        )
        .route(
            "/favicon.ico",
            get(|| async { asset("image/svg+xml", FAVICON) }),
        )
}

fn asset(ctype: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, ctype),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
}
