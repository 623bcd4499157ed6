//! Typed page input: `Form<T>` decodes an urlencoded body into a struct with serde
//! (repeated names, such as checkboxes, into a `Vec`), `Query<T>` the query string; a
//! body or query that cannot be decoded gets the Japanese 400 page, never serde's
//! English. Each page's form struct holds what was typed (strings), and the store turns
//! it into valid domain values once (`TryFrom`), so what the user typed can be shown
//! again beside the message.
//!
//! `pairs`, `one` and `many` read a body by hand; they are being replaced by `Form`.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::response::Response;
use serde::de::DeserializeOwned;

use super::pages::error_page;
use super::Session;
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
        match axum_extra::extract::Form::<T>::from_request(req, state).await {
            Ok(axum_extra::extract::Form(v)) => Ok(Form(v)),
            Err(e) => {
                tracing::info!(error = %e, "form body refused");
                Err(error_page(
                    ctx.as_ref(),
                    &AppError::BadRequest(
                        "送信された内容を読み取れませんでした。画面を開き直して、もう一度入力してください。"
                            .into(),
                    ),
                ))
            }
        }
    }
}

/// A page's query string decoded into `T`.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or("");
        match serde_html_form::from_str::<T>(q) {
            Ok(v) => Ok(Query(v)),
            Err(e) => {
                tracing::info!(error = %e, "query string refused");
                let ctx = parts
                    .extensions
                    .get::<Session>()
                    .and_then(|s| s.ctx.clone());
                Err(error_page(
                    ctx.as_ref(),
                    &AppError::BadRequest(
                        "URL の指定（? 以降）を読み取れませんでした。画面のリンクから開き直してください。"
                            .into(),
                    ),
                ))
            }
        }
    }
}

pub type Pairs = Vec<(String, String)>;

pub fn pairs(body: &Bytes) -> Pairs {
    form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The first value of `key`, or "".
pub fn one(p: &[(String, String)], key: &str) -> String {
    p.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// Every value of `key` (checkboxes).
pub fn many(p: &[(String, String)], key: &str) -> Vec<String> {
    p.iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .collect()
}

pub fn checked(p: &[(String, String)], key: &str) -> bool {
    p.iter()
        .any(|(k, v)| k == key && (v == "1" || v == "on" || v == "true"))
}

/// One `<option>` of a select list.
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}
