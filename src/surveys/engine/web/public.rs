//! The public answer page of an engine survey, at `/s/{token}` (the route is shared with
//! the training's links, which are looked up first): no account, no address kept; a
//! personal code when the survey goes out by letter (`?code=` fills it in from a QR
//! code); the form carries a fresh submission key, so the back button or a retry after a
//! dropped network saves one answer; a refusal brings back everything typed.

use std::collections::BTreeMap;

use askama::Template;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use super::date_label;
use super::form::{general_errors, sections, submission_key, AnswerForm, SectionView};
use crate::error::FieldError;
use crate::surveys::engine::store::{self, PublicSurvey, Saved};
use crate::web::pages::{render_status, Page};
use crate::web::AppState;
use crate::AppError;

#[derive(Template)]
#[template(path = "surveys/engine/answer.html")]
pub(super) struct AnswerPage {
    pub page: Page,
    pub tenant_name: String,
    pub title: String,
    pub intro: String,
    pub closes: String,
    pub action: String,
    pub submission: String,
    pub draft_key: String,
    pub ask_code: bool,
    pub code_required: bool,
    pub code: String,
    pub sections: Vec<SectionView>,
    pub errors: Vec<String>,
    pub has_item_errors: bool,
    pub preview: bool,
    pub submit_label: &'static str,
}

#[derive(Template)]
#[template(path = "surveys/engine/thanks.html")]
struct ThanksPage {
    page: Page,
    tenant_name: String,
    heading: &'static str,
    message: String,
    draft_key: String,
}

/// Search engines should never keep an answer page.
fn noindex(mut res: Response) -> Response {
    res.headers_mut().insert(
        "x-robots-tag",
        HeaderValue::from_static("noindex, nofollow"),
    );
    res
}

fn page(
    csrf: &str,
    token: &str,
    s: &PublicSurvey,
    sent: &BTreeMap<String, Vec<String>>,
    code: &str,
    submission: &str,
    errors: &[FieldError],
) -> AnswerPage {
    AnswerPage {
        page: Page::new(s.title.clone(), None, csrf, "/s"),
        tenant_name: s.tenant_name.clone(),
        title: s.title.clone(),
        intro: s.definition.intro.clone(),
        closes: s.closes_on.as_deref().map(date_label).unwrap_or_default(),
        action: format!("/s/{token}"),
        submission: submission.to_string(),
        draft_key: crate::auth::sha256_hex(token)[..16].to_string(),
        ask_code: true,
        code_required: s.invitation_only,
        code: code.to_string(),
        sections: sections(&s.definition, sent, errors),
        errors: general_errors(errors),
        has_item_errors: errors.iter().any(|e| e.field.starts_with("q_")),
        preview: false,
        submit_label: "回答を送る",
    }
}

fn closed(s: &PublicSurvey) -> Response {
    noindex(render_status(
        StatusCode::GONE,
        &ThanksPage {
            page: Page::new("受付は終わりました", None, "", "/s"),
            tenant_name: s.tenant_name.clone(),
            heading: "この調査の受付は終わりました",
            message: format!(
                "「{}」は、いま回答を受け付けていません。ご協力ありがとうございました。",
                s.title
            ),
            draft_key: String::new(),
        },
    ))
}

/// The form, or None when the token is not an engine survey's.
pub async fn form(st: &AppState, csrf: &str, token: &str, code: &str) -> Option<Response> {
    let s = match store::public(&st.db, token).await {
        Ok(Some(s)) => s,
        Ok(None) => return None,
        Err(e) => return Some(crate::web::pages::error_page(None, &e)),
    };
    if !s.accepting {
        return Some(closed(&s));
    }
    let code = crate::surveys::engine::invite::canonical_code(code).unwrap_or_default();
    Some(noindex(render_status(
        StatusCode::OK,
        &page(
            csrf,
            token,
            &s,
            &BTreeMap::new(),
            &code,
            &submission_key(),
            &[],
        ),
    )))
}

/// Saves an answer, or None when the token is not an engine survey's.
pub async fn submit(
    st: &AppState,
    csrf: &str,
    token: &str,
    body: &[u8],
    busy: bool,
) -> Option<Response> {
    let s = match store::public(&st.db, token).await {
        Ok(Some(s)) => s,
        Ok(None) => return None,
        Err(e) => return Some(crate::web::pages::error_page(None, &e)),
    };
    let f: AnswerForm = match crate::web::form::decode_form(body) {
        Ok(f) => f,
        Err(e) => return Some(crate::web::pages::error_page(None, &e)),
    };
    let sent = f.sent();
    let again = |errors: Vec<FieldError>, status: StatusCode| {
        let key = if f.submission.is_empty() {
            submission_key()
        } else {
            f.submission.clone()
        };
        noindex(render_status(
            status,
            &page(csrf, token, &s, &sent, &f.code, &key, &errors),
        ))
    };
    if busy {
        return Some(again(
            vec![FieldError::new("busy", "いま回答が集中しています。1分ほど待ってから、もう一度「回答を送る」を押してください（書いたことは残っています）。")],
            StatusCode::TOO_MANY_REQUESTS,
        ));
    }
    Some(
        match store::submit(&st.db, token, &f.code, &f.submission, &sent).await {
            Ok(Saved::New | Saved::Again) => {
                Redirect::to(&format!("/s/{token}/thanks")).into_response()
            }
            Err(AppError::Validation(errors)) => again(errors, StatusCode::UNPROCESSABLE_ENTITY),
            Err(AppError::Conflict(m)) if !s.accepting || m.contains("受付は終わって") => {
                closed(&s)
            }
            Err(AppError::Conflict(m)) => {
                again(vec![FieldError::new("form", m)], StatusCode::CONFLICT)
            }
            Err(AppError::NotFound) => closed(&s),
            Err(e) => crate::web::pages::error_page(None, &e),
        },
    )
}

/// After an answer (reads nothing personal; the draft in the browser is cleared).
pub async fn thanks(st: &AppState, token: &str) -> Option<Response> {
    let s = store::public(&st.db, token).await.ok()??;
    Some(noindex(render_status(
        StatusCode::OK,
        &ThanksPage {
            page: Page::new("ありがとうございました", None, "", "/s"),
            tenant_name: s.tenant_name.clone(),
            heading: "ありがとうございました",
            message: "回答を受け付けました。このページは閉じてかまいません。いただいた回答は、これからの支援を考えるために使います。".into(),
            draft_key: crate::auth::sha256_hex(token)[..16].to_string(),
        },
    )))
}
