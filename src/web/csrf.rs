//! The session layer for pages: finds the caller's session, and refuses every
//! state-changing request whose CSRF token does not match the session's (or, before
//! sign-in, the `yorube_csrf` cookie's: the double-submit pattern).

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};

use super::{pages, AppState, Session, BODY_LIMIT};
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

pub async fn session_layer(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let jar = CookieJar::from_headers(&parts.headers);
    let secure = is_https(&parts.headers, st.config.force_secure_cookies);
    let idle = st.config.session_idle_minutes;

    let token = jar.get(session::COOKIE).map(|c| c.value().to_string());
    let (ctx, session_csrf, expired) = match &token {
        Some(t) => match session::lookup(&st.db, t, idle).await {
            Ok(Lookup::Active { ctx, csrf }) => (Some(ctx), Some(csrf), false),
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
        let bytes = match to_bytes(body, BODY_LIMIT).await {
            Ok(b) => b,
            Err(_) => {
                return pages::error_page(
                    None,
                    &AppError::TooLarge("送信されたデータが大きすぎます（上限 20MB）。".into()),
                )
            }
        };
        let submitted = submitted_token(&parts.headers, parts.uri.query(), &bytes);
        let expected = session_csrf.as_deref().or(cookie_csrf.as_deref());
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
        Body::from(bytes)
    } else {
        body
    };

    parts.extensions.insert(Session {
        ctx,
        csrf: page_csrf,
        token,
        expired,
        secure,
    });
    let mut res = next.run(Request::from_parts(parts, body)).await;
    if let Some(v) = new_cookie_csrf {
        set_cookie(&mut res, cookie(CSRF_COOKIE, v, secure));
    }
    res
}

pub fn set_cookie(res: &mut Response, c: Cookie<'static>) {
    if let Ok(v) = HeaderValue::from_str(&c.to_string()) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// The token from the `x-csrf-token` header, the `_csrf` form field of an
/// urlencoded body, or (for multipart uploads) the `_csrf` query parameter.
fn submitted_token(headers: &HeaderMap, query: Option<&str>, body: &[u8]) -> Option<String> {
    if let Some(v) = headers.get("x-csrf-token").and_then(|v| v.to_str().ok()) {
        return Some(v.to_string());
    }
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if ctype.starts_with("application/x-www-form-urlencoded") {
        if let Some(v) = form_field(body, CSRF_FIELD) {
            return Some(v);
        }
    }
    query.and_then(|q| form_field(q.as_bytes(), CSRF_FIELD))
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
    fn finds_token_in_form_body() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        assert_eq!(
            submitted_token(&h, None, b"login=a&_csrf=abc%20d&x=1").as_deref(),
            Some("abc d")
        );
        assert_eq!(submitted_token(&h, None, b"login=a").as_deref(), None);
        assert_eq!(
            submitted_token(&h, Some("_csrf=q"), b"").as_deref(),
            Some("q")
        );
    }
}
