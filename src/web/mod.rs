//! HTTP infrastructure under the pages and the API: shared state, the session/CSRF
//! middleware, security headers, embedded assets, extractors and the error pages. It
//! knows no capability; `app` puts the capabilities' routes together.

pub mod api;
pub mod assets;
pub mod csrf;
pub mod download;
pub mod form;
pub mod pages;

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::auth::Ctx;
use crate::db::Db;
use crate::AppError;

#[derive(Clone, Debug)]
pub struct Config {
    /// Minutes of inactivity after which a session ends.
    pub session_idle_minutes: i64,
    /// Mark cookies Secure even without X-Forwarded-Proto (when served over https directly).
    pub force_secure_cookies: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            session_idle_minutes: 30,
            force_secure_cookies: false,
        }
    }
}

/// What every handler is given: the database (and what higher layers keep per database
/// in `Db::ext`) and the server's settings. It is defined here, below the pages, because
/// every handler names it; the router that puts the capabilities together is `app`.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
}

impl AppState {
    pub fn new(db: Db, config: Config) -> AppState {
        AppState {
            db,
            config: Arc::new(config),
        }
    }
}

/// The largest request body accepted (imports are the largest).
pub const BODY_LIMIT: usize = 20 * 1024 * 1024;

pub async fn healthz(State(st): State<AppState>) -> Response {
    match st.db.ping().await {
        Ok(()) => Json(serde_json::json!({"status": "ok", "database": st.db.engine().as_str()}))
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({"status": "error", "database": st.db.engine().as_str()})),
            )
                .into_response()
        }
    }
}

/// Unknown pages keep the caller's navigation (the session layer ran).
pub async fn page_not_found(
    session: Option<axum::Extension<Session>>,
    uri: axum::extract::OriginalUri,
) -> Response {
    if uri.0.path().starts_with("/api/") {
        return api::ApiError(AppError::NotFound).into_response();
    }
    let ctx = session.and_then(|s| s.0.ctx);
    pages::error_page(ctx.as_ref(), &AppError::NotFound)
}

/// Unknown routes under /api/v1 (the nested router sees the path without its prefix).
pub async fn api_not_found() -> Response {
    api::ApiError(AppError::NotFound).into_response()
}

/// A strict Content-Security-Policy (no inline script or style anywhere) and friends; the
/// browser features the app never uses (camera, microphone, location, payment, USB…)
/// switched off; HSTS when the request came over https (X-Forwarded-Proto from the TLS
/// proxy, or `force_secure_cookies` when served over https directly), never over plain http.
pub async fn security_headers(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let https = csrf::is_https(req.headers(), st.config.force_secure_cookies);
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        "permissions-policy",
        HeaderValue::from_static(PERMISSIONS_POLICY),
    );
    if https {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// Every powerful browser feature off for every origin (only names Chromium and Firefox
/// know, so the console stays quiet).
pub const PERMISSIONS_POLICY: &str = "accelerometer=(), autoplay=(), bluetooth=(), camera=(), \
     display-capture=(), geolocation=(), gyroscope=(), hid=(), idle-detection=(), \
     magnetometer=(), microphone=(), midi=(), payment=(), screen-wake-lock=(), serial=(), \
     usb=(), xr-spatial-tracking=()";

/// The signed-in caller of a page request, set by the session layer.
#[derive(Clone)]
pub struct Session {
    pub ctx: Option<Ctx>,
    pub csrf: String,
    pub token: Option<String>,
    pub expired: bool,
    pub secure: bool,
}
