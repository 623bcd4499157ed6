//! HTTP infrastructure under the pages and the API: shared state, the session/CSRF
//! middleware, security headers, embedded assets, extractors and the error pages. It
//! knows no capability; `app` puts the capabilities' routes together.

pub mod account;
pub mod api;
pub mod assets;
pub mod csrf;
pub mod download;
pub mod form;
pub mod pages;
pub mod read_audit;
pub mod totp;

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
    /// Take the client's address for sign-in throttling from the last entry of
    /// X-Forwarded-For (behind a reverse proxy that sets it), not from the connection.
    pub trust_forwarded_for: bool,
    /// Requests worked on at once; beyond them the server answers 429 at once (with
    /// Retry-After) instead of queueing without limit.
    pub max_in_flight: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            session_idle_minutes: 30,
            force_secure_cookies: false,
            trust_forwarded_for: false,
            max_in_flight: 256,
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

/// The largest request body accepted: only on the upload routes (`UPLOAD_PATHS`), and
/// only once the caller's session (and, for pages, CSRF token) has been checked.
pub const BODY_LIMIT: usize = 20 * 1024 * 1024;
/// Every other request of a signed-in caller (forms with several long texts).
pub const SIGNED_IN_BODY_LIMIT: usize = 1024 * 1024;
/// Requests without a session (the sign-in form, the token endpoint).
pub const ANONYMOUS_BODY_LIMIT: usize = 64 * 1024;

/// The routes that take files (imports), which keep `BODY_LIMIT`.
pub const UPLOAD_PATHS: &[&str] = &["/agencies/import", "/api/v1/agencies/import"];

/// The body of `req` cut off at `limit` (a longer one fails as 413 when read).
pub fn limit_body(body: axum::body::Body, limit: usize) -> axum::body::Body {
    axum::body::Body::new(http_body_util::Limited::new(body, limit))
}

/// The Content-Length a request declares, if any.
pub fn declared_length(headers: &axum::http::HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// The limit of an API request's body: the token endpoint is anonymous, uploads are big.
pub fn api_limit(path: &str) -> usize {
    if UPLOAD_PATHS.contains(&path) {
        BODY_LIMIT
    } else if path == "/api/v1/auth/token" {
        ANONYMOUS_BODY_LIMIT
    } else {
        SIGNED_IN_BODY_LIMIT
    }
}

pub const MSG_TOO_LARGE: &str = "送信されたデータが大きすぎます。";

/// Small body limits under the API (the pages' are set by the session layer): a body
/// longer than its route's limit is refused from its Content-Length before it is read,
/// and cut off at the limit when it has none.
pub async fn api_body_limit(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if !path.starts_with("/api/") {
        return next.run(req).await;
    }
    let limit = api_limit(path);
    if declared_length(req.headers()).is_some_and(|n| n > limit as u64) {
        return api::ApiError(AppError::TooLarge(MSG_TOO_LARGE.into())).into_response();
    }
    let (parts, body) = req.into_parts();
    next.run(Request::from_parts(parts, limit_body(body, limit)))
        .await
}

/// The client's address for throttling: the connection's peer, or (with
/// `trust_forwarded_for`) the last X-Forwarded-For entry; "unknown" when neither is there.
pub fn client_addr(
    headers: &axum::http::HeaderMap,
    extensions: &axum::http::Extensions,
    config: &Config,
) -> String {
    if config.trust_forwarded_for {
        if let Some(last) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty() && v.len() <= 64)
        {
            return last.to_string();
        }
    }
    extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

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

/// The answer when `Config::max_in_flight` requests are already being worked on: 429
/// 混み合っています with Retry-After, a page or a JSON error by the path.
pub async fn overloaded(uri: axum::http::Uri, _e: tower::BoxError) -> Response {
    let e =
        AppError::Busy("ただいま混み合っています。少し待ってから、もう一度お試しください。".into());
    let mut r = if uri.path().starts_with("/api/") {
        api::ApiError(e).into_response()
    } else {
        pages::error_page(None, &e)
    };
    r.headers_mut().insert(
        axum::http::header::RETRY_AFTER,
        axum::http::HeaderValue::from_static("2"),
    );
    r
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
    /// The client's address (for throttling and the list of sessions) and browser.
    pub addr: String,
    pub user_agent: String,
    /// The signed-in user must choose a new password before anything else.
    pub must_change_password: bool,
    /// Unread notices about changes to the user's credentials.
    pub unread_notices: i64,
}
