//! Typed page input: `Form<T>` decodes an urlencoded body into a struct with serde
//! (repeated names, such as checkboxes, into a `Vec`), `Query<T>` the query string; a
//! body or query that cannot be decoded gets the Japanese 400 page, never serde's
//! English. Each page's form struct holds what was typed (strings), and the store turns
//! it into valid domain values once (`TryFrom`), so what the user typed can be shown
//! again beside the message.
//!
//! NUL is refused in both before serde sees it, and by `refuse_nul` for the handlers
//! that take a body some other way (multipart uploads, axum's own `Path`).

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use super::pages::error_page;
use super::{Session, BODY_LIMIT};
use crate::AppError;

/// An urlencoded form body decoded into `T`.
pub struct Form<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Form<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = req
            .extensions()
            .get::<Session>()
            .and_then(|s| s.ctx.clone());
        let refuse = |e: AppError| Err(error_page(ctx.as_ref(), &e));
        if !is_urlencoded(req.headers()) {
            return refuse(AppError::BadRequest(UNREADABLE_FORM.into()));
        }
        let bytes = match Bytes::from_request(req, state).await {
            Ok(b) => b,
            Err(r) if r.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                return refuse(AppError::TooLarge(TOO_LARGE.into()))
            }
            Err(r) => {
                tracing::info!(error = %r, "form body unreadable");
                return refuse(AppError::BadRequest(UNREADABLE_FORM.into()));
            }
        };
        match decode_form(&bytes) {
            Ok(v) => Ok(Form(v)),
            Err(e) => refuse(e),
        }
    }
}

const UNREADABLE_FORM: &str =
    "送信された内容を読み取れませんでした。画面を開き直して、もう一度入力してください。";
const UNREADABLE_QUERY: &str =
    "URL の指定（? 以降）を読み取れませんでした。画面のリンクから開き直してください。";
const TOO_LARGE: &str = "送信されたデータが大きすぎます（上限 20MB）。";

/// Decodes an urlencoded body into `T` (what `Form` does once the body is read): NUL
/// anywhere is refused before serde sees it, and serde's errors become a Japanese 400.
pub fn decode_form<T: DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    refuse_nul_in(body, "送信された内容")?;
    serde_html_form::from_bytes::<T>(body).map_err(|e| {
        tracing::info!(error = %e, "form body refused");
        AppError::BadRequest(UNREADABLE_FORM.into())
    })
}

/// Decodes a query string into `T` (what `Query` does).
pub fn decode_query<T: DeserializeOwned>(query: &str) -> Result<T, AppError> {
    refuse_nul_in(query.as_bytes(), "URL の指定（? 以降）")?;
    serde_html_form::from_str::<T>(query).map_err(|e| {
        tracing::info!(error = %e, "query string refused");
        AppError::BadRequest(UNREADABLE_QUERY.into())
    })
}

/// The numbered fields of a form's rows (`family_name_0`, `seg_title_3`, `p_name_12` …),
/// by name: a form struct takes them as `#[serde(flatten)] rows: Rows` beside the fixed
/// fields it names.
#[derive(serde::Deserialize, Default, Debug)]
#[serde(transparent)]
pub struct Rows(std::collections::BTreeMap<String, String>);

impl Rows {
    /// `{name}_{i}` as typed, or "".
    pub fn text(&self, name: &str, i: usize) -> String {
        self.0
            .get(&format!("{name}_{i}"))
            .cloned()
            .unwrap_or_default()
    }

    /// Whether the check box `{name}_{i}` was ticked.
    pub fn ticked(&self, name: &str, i: usize) -> bool {
        self.0
            .get(&format!("{name}_{i}"))
            .is_some_and(|v| ticked(v))
    }
}

/// One value or several under one name: a flattened map hands a single value over as
/// a string and repeated ones as a sequence (check boxes, and forms whose field names
/// are data, such as a survey's questions).
#[derive(Default, Clone, Debug)]
pub struct Values(pub Vec<String>);

impl<'de> serde::Deserialize<'de> for Values {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Values, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Values;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("one or more values")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Values, E> {
                Ok(Values(vec![v.to_string()]))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Values, E> {
                Ok(Values(vec![v]))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut s: A) -> Result<Values, A::Error> {
                let mut out = vec![];
                while let Some(v) = s.next_element::<String>()? {
                    out.push(v);
                }
                Ok(Values(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// Whether a checkbox value is ticked.
pub fn ticked(v: &str) -> bool {
    v == "1" || v == "on" || v == "true"
}

/// A page's query string decoded into `T`.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match decode_query::<T>(parts.uri.query().unwrap_or("")) {
            Ok(v) => Ok(Query(v)),
            Err(e) => {
                let ctx = parts
                    .extensions
                    .get::<Session>()
                    .and_then(|s| s.ctx.clone());
                Err(error_page(ctx.as_ref(), &e))
            }
        }
    }
}

fn is_urlencoded(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        })
}

/// The name of the first field of urlencoded `data` whose name or value holds NUL once
/// decoded (`%00`, or a raw zero byte), or None. NUL can never be stored: PostgreSQL
/// refuses it in text, and it hides the rest of a value from C-string readers.
pub fn nul_field(data: &[u8]) -> Option<String> {
    if !data.contains(&0) && !data.windows(3).any(|w| w == b"%00") {
        return None;
    }
    form_urlencoded::parse(data).find_map(|(k, v)| {
        if k.contains('\0') {
            Some("（項目名）".to_string())
        } else if v.contains('\0') {
            Some(k.chars().take(60).collect())
        } else {
            None
        }
    })
}

fn refuse_nul_in(data: &[u8], what: &str) -> Result<(), AppError> {
    match nul_field(data) {
        None => Ok(()),
        Some(field) => Err(AppError::BadRequest(format!(
            "{what}に使えない文字（NUL 文字 U+0000）が含まれています（項目: {field}）。入力し直してから、もう一度送信してください。"
        ))),
    }
}

/// NUL in the path, the query or an urlencoded body, refused before any handler runs:
/// the edge for the handlers that take their input some other way (axum's own `Path`,
/// bodies read as bytes). Layered inside the session layer, so the CSRF check comes first.
async fn nul_refusal(req: Request) -> Result<Request, AppError> {
    if req.uri().path().contains("%00") {
        return Err(AppError::BadRequest(
            "URL に使えない文字（NUL 文字 U+0000）が含まれています。画面のリンクから開き直してください。"
                .into(),
        ));
    }
    if let Some(q) = req.uri().query() {
        refuse_nul_in(q.as_bytes(), "URL の指定（? 以降）")?;
    }
    if !is_urlencoded(req.headers()) {
        return Ok(req);
    }
    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, BODY_LIMIT)
        .await
        .map_err(|_| AppError::TooLarge(TOO_LARGE.into()))?;
    refuse_nul_in(&bytes, "送信された内容")?;
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// `nul_refusal` for pages: the Japanese 400 page.
pub async fn refuse_nul(req: Request, next: Next) -> Response {
    let ctx = req
        .extensions()
        .get::<Session>()
        .and_then(|s| s.ctx.clone());
    match nul_refusal(req).await {
        Ok(req) => next.run(req).await,
        Err(e) => error_page(ctx.as_ref(), &e),
    }
}

/// `nul_refusal` for the API: a problem+json 400.
pub async fn refuse_nul_api(req: Request, next: Next) -> Response {
    match nul_refusal(req).await {
        Ok(req) => next.run(req).await,
        Err(e) => super::api::ApiError(e).into_response(),
    }
}

/// One `<option>` of a select list.
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::{get, post};
    use axum::Router;
    use serde::Deserialize;
    use tower::ServiceExt;

    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct F {
        name: String,
        tags: Vec<String>,
    }

    async fn status_and_text(app: Router, req: axum::http::Request<Body>) -> (u16, String) {
        let res = app.oneshot(req).await.unwrap();
        let status = res.status().as_u16();
        let body = to_bytes(res.into_body(), 1 << 20).await.unwrap();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    /// The extractors refuse NUL on their own, without the `refuse_nul` layer.
    #[tokio::test]
    async fn extractors_refuse_nul_by_themselves() {
        let app = Router::new()
            .route(
                "/f",
                post(|Form(f): Form<F>| async move { format!("{}|{}", f.name, f.tags.join(",")) }),
            )
            .route("/q", get(|Query(f): Query<F>| async move { f.name }));
        let post = |body: &'static str| {
            axum::http::Request::post("/f")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap()
        };
        let (s, t) = status_and_text(app.clone(), post("name=a&tags=x&tags=y")).await;
        assert_eq!((s, t.as_str()), (200, "a|x,y"));
        let (s, t) = status_and_text(app.clone(), post("name=a%00b")).await;
        assert_eq!(s, 400);
        assert!(t.contains("NUL 文字") && t.contains("項目: name"), "{t}");
        let (s, t) = status_and_text(app.clone(), post("tags=ok&tags=\0")).await;
        assert_eq!(s, 400);
        assert!(t.contains("項目: tags"), "{t}");
        let plain = axum::http::Request::post("/f")
            .header("content-type", "text/plain")
            .body(Body::from("name=a"))
            .unwrap();
        let (s, t) = status_and_text(app.clone(), plain).await;
        assert_eq!(s, 400);
        assert!(t.contains("読み取れませんでした"), "{t}");
        let get = |uri: &str| axum::http::Request::get(uri).body(Body::empty()).unwrap();
        let (s, t) = status_and_text(app.clone(), get("/q?name=%E5%B1%B1")).await;
        assert_eq!((s, t.as_str()), (200, "山"));
        let (s, t) = status_and_text(app.clone(), get("/q?name=x&%00=1")).await;
        assert_eq!(s, 400);
        assert!(t.contains("項目: （項目名）"), "{t}");
    }

    #[test]
    fn nul_field_names_the_field() {
        assert_eq!(nul_field(b"a=1&b=2"), None);
        assert_eq!(nul_field(b"a=1&b=%2500"), None, "%25 is a percent sign");
        assert_eq!(nul_field(b"a=1&b=x%00").as_deref(), Some("b"));
        assert_eq!(nul_field(b"a=\x00").as_deref(), Some("a"));
        assert_eq!(nul_field(b"%00=1").as_deref(), Some("（項目名）"));
    }
}
