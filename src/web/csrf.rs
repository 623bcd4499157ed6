//! The session layer for pages: finds the caller's session, and refuses every
//! state-changing request whose CSRF token does not match the session's (or, before
//! sign-in, the `yorube_csrf` cookie's: the double-submit pattern).

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};

use super::{
    declared_length, limit_body, pages, AppState, Session, ANONYMOUS_BODY_LIMIT, BODY_LIMIT,
    SIGNED_IN_BODY_LIMIT, UPLOAD_PATHS,
};
use crate::auth::random_token;
use crate::auth::session::{self, Lookup};
use crate::AppError;

pub const CSRF_COOKIE: &str = "yorube_csrf";
pub const CSRF_FIELD: &str = "_csrf";

pub fn is_https(headers: &HeaderMap, force: bool) -> bool {
    force
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.eq_ignore_ascii_case("https"))
            .unwrap_or(false)
}

pub fn cookie(name: &'static str, value: String, secure: bool) -> Cookie<'static> {
    let mut c = Cookie::new(name, value);
    c.set_http_only(true);
    c.set_same_site(SameSite::Lax);
    c.set_path("/");
    c.set_secure(secure);
    c
}

pub fn removal(name: &'static str, secure: bool) -> Cookie<'static> {
    let mut c = cookie(name, String::new(), secure);
    c.make_removal();
    c
}

fn constant_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Paths a user who must change their password may still open.
fn allowed_before_change(path: &str) -> bool {
    matches!(path, "/account/password" | "/logout" | "/login")
}

fn allowed_before_totp(path: &str) -> bool {
    matches!(path, "/account/totp" | "/logout" | "/login")
}

pub async fn session_layer(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let jar = CookieJar::from_headers(&parts.headers);
    let secure = is_https(&parts.headers, st.config.force_secure_cookies);
    let idle = st.config.session_idle_minutes;
    let addr = super::client_addr(&parts.headers, &parts.extensions, &st.config);
    let user_agent = parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .chars()
        .take(200)
        .collect::<String>();

    let token = jar.get(session::COOKIE).map(|c| c.value().to_string());
    let mut must_change_password = false;
    let mut must_enrol_totp = false;
    let mut unread_notices = 0;
    let (ctx, session_csrf, expired) = match &token {
        Some(t) => match session::lookup(&st.db, t, idle).await {
            Ok(Lookup::Active {
                ctx,
                csrf,
                must_change_password: m,
                must_enrol_totp: e,
                unread_notices: u,
            }) => {
                must_change_password = m;
                must_enrol_totp = e;
                unread_notices = u;
                (Some(ctx), Some(csrf), false)
            }
            Ok(Lookup::Expired) => (None, None, true),
            Ok(Lookup::Missing) => (None, None, false),
            Err(e) => return pages::error_page(None, &e),
        },
        None => (None, None, false),
    };
    let cookie_csrf = jar
        .get(CSRF_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|v| v.len() == 64);
    let new_cookie_csrf = if cookie_csrf.is_none() {
        Some(random_token())
    } else {
        None
    };
    let page_csrf = session_csrf
        .clone()
        .or_else(|| cookie_csrf.clone())
        .or_else(|| new_cookie_csrf.clone())
        .unwrap_or_default();

    let state_changing = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    let body = if state_changing {
        // The limit is known before a byte of the body is read: small without a session,
        // larger for a signed-in caller, the largest only on the upload routes.
        let limit = match &ctx {
            None => ANONYMOUS_BODY_LIMIT,
            Some(_) if UPLOAD_PATHS.contains(&parts.uri.path()) => BODY_LIMIT,
            Some(_) => SIGNED_IN_BODY_LIMIT,
        };
        let too_large = || {
            pages::error_page(
                ctx.as_ref(),
                &AppError::TooLarge(format!(
                    "送信されたデータが大きすぎます（上限 {}）。",
                    human_size(limit)
                )),
            )
        };
        if declared_length(&parts.headers).is_some_and(|n| n > limit as u64) {
            return too_large();
        }
        let expected = session_csrf.as_deref().or(cookie_csrf.as_deref());
        // The token from a header or (multipart only) the query is checked before the
        // body is read; a form's own field needs the (small) body read first.
        let (submitted, body) = match early_token(&parts.headers, parts.uri.query()) {
            Some(t) => (Some(t), limit_body(body, limit)),
            None => {
                let bytes = match to_bytes(body, limit).await {
                    Ok(b) => b,
                    Err(_) => return too_large(),
                };
                (body_token(&parts.headers, &bytes), Body::from(bytes))
            }
        };
        let ok =
            matches!((expected, submitted.as_deref()), (Some(e), Some(s)) if constant_eq(e, s));
        if !ok {
            let msg = if expired {
                "一定時間操作がなかったため、ログインの有効期限が切れました。もう一度ログインしてください。"
            } else {
                "フォームの有効期限が切れたか、正しくない送信です。ページを読み込み直してから、もう一度お試しください。"
            };
            let mut res = pages::error_page(ctx.as_ref(), &AppError::Forbidden(msg.into()));
            if let Some(v) = &new_cookie_csrf {
                set_cookie(&mut res, cookie(CSRF_COOKIE, v.clone(), secure));
            }
            return res;
        }
        body
    } else {
        body
    };

    if ctx.is_some() && must_change_password && !allowed_before_change(parts.uri.path()) {
        return Redirect::to("/account/password?required=1").into_response();
    }
    if ctx.is_some() && must_enrol_totp && !allowed_before_totp(parts.uri.path()) {
        return Redirect::to("/account/totp?required=1").into_response();
    }

    parts.extensions.insert(Session {
        ctx,
        csrf: page_csrf,
        token,
        expired,
        secure,
        addr,
        user_agent,
        must_change_password,
        unread_notices,
    });
    let mut res = next.run(Request::from_parts(parts, body)).await;
    if let Some(v) = new_cookie_csrf {
        set_cookie(&mut res, cookie(CSRF_COOKIE, v, secure));
    }
    res
}

fn human_size(n: usize) -> String {
    if n >= 1024 * 1024 {
        format!("{}MB", n / (1024 * 1024))
    } else {
        format!("{}KB", n / 1024)
    }
}

pub fn set_cookie(res: &mut Response, c: Cookie<'static>) {
    if let Ok(v) = HeaderValue::from_str(&c.to_string()) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// The token a request carries outside its body: the `x-csrf-token` header, or for a
/// multipart upload (whose file cannot be read before the check) the `_csrf` query
/// parameter. Never the query of any other request: a token in a URL leaks through logs
/// and the Referer.
fn early_token(headers: &HeaderMap, query: Option<&str>) -> Option<String> {
    if let Some(v) = headers.get("x-csrf-token").and_then(|v| v.to_str().ok()) {
        return Some(v.to_string());
    }
    if content_type(headers).starts_with("multipart/form-data") {
        return query.and_then(|q| form_field(q.as_bytes(), CSRF_FIELD));
    }
    None
}

/// The `_csrf` field of an urlencoded body.
fn body_token(headers: &HeaderMap, body: &[u8]) -> Option<String> {
    if content_type(headers).starts_with("application/x-www-form-urlencoded") {
        return form_field(body, CSRF_FIELD);
    }
    None
}

fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .trim_start()
        .to_ascii_lowercase()
}

fn form_field(data: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(data)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_token_in_form_body_header_or_multipart_query() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        assert_eq!(
            body_token(&h, b"login=a&_csrf=abc%20d&x=1").as_deref(),
            Some("abc d")
        );
        assert_eq!(body_token(&h, b"login=a").as_deref(), None);
        // Never from the query of a form post.
        assert_eq!(early_token(&h, Some("_csrf=q")).as_deref(), None);
        let mut m = HeaderMap::new();
        m.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("multipart/form-data; boundary=x"),
        );
        assert_eq!(early_token(&m, Some("_csrf=q")).as_deref(), Some("q"));
        m.insert("x-csrf-token", HeaderValue::from_static("h"));
        assert_eq!(early_token(&m, None).as_deref(), Some("h"));
    }
}
