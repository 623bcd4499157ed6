//! The JSON API under /api/v1: bearer-token callers, RFC 9457 problem responses with
//! Japanese titles, and a JSON extractor whose rejections are problems too.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::AppState;
use crate::auth::{session, token, Ctx};
use crate::AppError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/token", post(issue_token).delete(revoke_token))
        .route("/me", get(me))
}

/// An error as `application/problem+json`.
pub struct ApiError(pub AppError);

/// A list response: `{"items": […], "next_cursor": …}` (`null` on the last page), and
/// `total` where the list counts its items.
#[derive(Serialize, Debug)]
pub struct Items<T> {
    pub items: Vec<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
    pub next_cursor: Option<String>,
}

impl<T> Items<T> {
    /// One page of items and the cursor of the next (None on the last).
    pub fn page(items: Vec<T>, next_cursor: Option<String>) -> Items<T> {
        Items {
            items,
            total: None,
            next_cursor,
        }
    }

    /// One page, with the number of items in the whole list.
    pub fn counted(items: Vec<T>, total: i64, next_cursor: Option<String>) -> Items<T> {
        Items {
            items,
            total: Some(total),
            next_cursor,
        }
    }
}

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: String,
    code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<&'a [crate::error::FieldError]>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = self.0;
        e.log_if_internal();
        let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let errors = match &e {
            AppError::Validation(errs) => Some(errs.as_slice()),
            _ => None,
        };
        let body = Problem {
            kind: format!("/problems/{}", e.code()),
            title: e.title(),
            status: e.status(),
            detail: e.detail(),
            code: e.code(),
            errors,
        };
        let mut res = (status, Json(body)).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::TOO_MANY_REQUESTS {
            res.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        }
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        res
    }
}

pub type ApiResult<T> = Result<Json<T>, ApiError>;

/// JSON body whose rejections are problems in Japanese. NUL in any string of the body
/// (a value or a key, at any depth) is refused before `T` sees it.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<serde_json::Value>::from_request(req, state).await {
            Ok(Json(v)) => decode_value(v).map(ApiJson).map_err(ApiError),
            Err(r) => Err(ApiError(json_rejection(r))),
        }
    }
}

/// What `ApiJson` does with a body once it is read: parse, refuse NUL, decode into `T`.
pub fn decode_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    match Json::<serde_json::Value>::from_bytes(body) {
        Ok(Json(v)) => decode_value(v),
        Err(r) => Err(json_rejection(r)),
    }
}

fn decode_value<T: DeserializeOwned>(v: serde_json::Value) -> Result<T, AppError> {
    if let Some(at) = nul_at(&v) {
        return Err(AppError::BadRequest(format!(
            "JSON の「{at}」に使えない文字（NUL 文字 U+0000）が含まれています。"
        )));
    }
    serde_path_to_error::deserialize(v).map_err(|e| {
        AppError::Validation(vec![crate::error::FieldError::new(
            "body",
            format!(
                "JSON の項目が正しくありません（{}）。",
                e.to_string().chars().take(200).collect::<String>()
            ),
        )])
    })
}

/// Where a JSON value holds NUL in a string or a key: `items[2].name`, `(本体)` for the
/// value itself. serde_json's recursion limit (128) bounds the depth.
fn nul_at(v: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    match v {
        Value::String(s) if s.contains('\0') => Some("（本体）".into()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| nul_at(item).map(|inner| join_path(&format!("[{i}]"), inner))),
        Value::Object(map) => map.iter().find_map(|(k, item)| {
            if k.contains('\0') {
                return Some("（項目名）".into());
            }
            let name: String = k.chars().take(60).collect();
            nul_at(item).map(|inner| join_path(&name, inner))
        }),
        _ => None,
    }
}

fn join_path(head: &str, inner: String) -> String {
    if inner == "（本体）" {
        head.to_string()
    } else if inner.starts_with('[') || inner == "（項目名）" {
        format!("{head}{inner}")
    } else {
        format!("{head}.{inner}")
    }
}

fn json_rejection(r: JsonRejection) -> AppError {
    match r {
        JsonRejection::MissingJsonContentType(_) => {
            AppError::BadRequest("Content-Type: application/json で送信してください。".into())
        }
        JsonRejection::JsonSyntaxError(_) => {
            AppError::BadRequest("JSON の形式が正しくありません。".into())
        }
        JsonRejection::JsonDataError(e) => {
            AppError::Validation(vec![crate::error::FieldError::new(
                "body",
                format!(
                    "JSON の項目が正しくありません（{}）。",
                    e.body_text().chars().take(200).collect::<String>()
                ),
            )])
        }
        JsonRejection::BytesRejection(_) => AppError::TooLarge(super::MSG_TOO_LARGE.into()),
        _ => AppError::BadRequest("リクエストを読み取れません。".into()),
    }
}

/// A caller of the API, identified by `Authorization: Bearer TOKEN`.
pub struct ApiAuth {
    pub ctx: Ctx,
    pub token_id: String,
    pub scope: token::Scope,
}

impl FromRequestParts<AppState> for ApiAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map(str::trim);
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            return Err(ApiError(AppError::Unauthorized(
                "Authorization: Bearer トークン を付けて送信してください。".into(),
            )));
        };
        match token::resolve(&st.db, token).await? {
            Some(r) => {
                let read_only = matches!(
                    parts.method,
                    axum::http::Method::GET
                        | axum::http::Method::HEAD
                        | axum::http::Method::OPTIONS
                );
                // A read token may still revoke itself.
                let revoking = parts.method == axum::http::Method::DELETE
                    && parts.uri.path().ends_with("/auth/token");
                if r.scope == token::Scope::Read && !read_only && !revoking {
                    return Err(ApiError(AppError::Forbidden(
                        "このトークンは読み取り専用です（scope: read）。変更には scope が read_write のトークンを取得してください。"
                            .into(),
                    )));
                }
                super::read_audit::set_actor(&r.ctx);
                Ok(ApiAuth {
                    ctx: r.ctx,
                    token_id: r.token_id,
                    scope: r.scope,
                })
            }
            None => Err(ApiError(AppError::Unauthorized(
                "トークンが無効か、有効期限が切れています。もう一度取得してください。".into(),
            ))),
        }
    }
}

/// The caller's address, for sign-in throttling (web::client_addr).
pub struct ClientAddr(pub String);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(super::client_addr(
            &parts.headers,
            &parts.extensions,
            &st.config,
        )))
    }
}

#[derive(Deserialize)]
struct TokenRequest {
    login: String,
    password: String,
    /// The second factor's current code, for users who have one.
    #[serde(default)]
    otp: String,
    /// "read" or "read_write" (the default).
    scope: Option<String>,
    /// Days the token is valid: 1 to 30 (the default).
    expires_in_days: Option<i64>,
}

#[derive(Serialize)]
struct TokenResponse {
    token: String,
    token_type: &'static str,
    expires_at: String,
    scope: &'static str,
}

async fn issue_token(
    State(st): State<AppState>,
    ClientAddr(addr): ClientAddr,
    ApiJson(req): ApiJson<TokenRequest>,
) -> ApiResult<TokenResponse> {
    let scope = match req.scope.as_deref() {
        None => token::Scope::ReadWrite,
        Some(s) => token::Scope::parse(s).ok_or_else(|| {
            AppError::invalid("scope", "scope は read か read_write を指定してください。")
        })?,
    };
    let days = req.expires_in_days.unwrap_or(token::VALID_DAYS);
    if !(1..=token::VALID_DAYS).contains(&days) {
        return Err(ApiError(AppError::invalid(
            "expires_in_days",
            format!(
                "expires_in_days は 1 から {} の日数で指定してください。",
                token::VALID_DAYS
            ),
        )));
    }
    let signed =
        session::authenticate(&st.db, &req.login, &req.password, &req.otp, "api", &addr).await?;
    if signed.must_enrol_totp {
        return Err(ApiError(AppError::Forbidden(
            "2段階認証の設定が必要です。画面からログインして、認証アプリを設定してください。"
                .into(),
        )));
    }
    if signed.must_change_password {
        return Err(ApiError(AppError::Forbidden(
            "パスワードの変更が必要です。画面からログインして、新しいパスワードを設定してください。"
                .into(),
        )));
    }
    let ctx = signed.ctx;
    let issued = token::issue(&st.db, &ctx, scope, days).await?;
    Ok(Json(TokenResponse {
        token: issued.token,
        token_type: "Bearer",
        expires_at: issued.expires_at,
        scope: issued.scope.as_str(),
    }))
}

async fn revoke_token(State(st): State<AppState>, a: ApiAuth) -> Result<StatusCode, ApiError> {
    token::revoke(&st.db, &a.ctx, &a.token_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize)]
pub struct Me {
    pub id: String,
    pub login: String,
    pub display_name: String,
    pub role: &'static str,
    pub role_label: &'static str,
    pub tenant: Option<String>,
    pub tenant_name: Option<String>,
}

async fn me(a: ApiAuth) -> Json<Me> {
    let c = a.ctx;
    Json(Me {
        id: c.user_id,
        login: c.login,
        display_name: c.display_name,
        role: c.role.as_str(),
        role_label: c.role.label(),
        tenant: c.tenant_code,
        tenant_name: c.tenant_name,
    })
}
