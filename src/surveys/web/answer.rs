//! The public answer page `/s/{token}`: no account, anonymous; a link typed from paper
//! is forgiven, an unknown, malformed or closed link gets one and the same page, and
//! each link takes a limited number of answers per minute.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use serde::Deserialize;

use super::date_label;
use crate::auth::sha256_hex;
use crate::surveys::model::{self, Kind, Sent};
use crate::surveys::store::{self, PublicSurvey};
use crate::web::form::{Opt, Query, Values};
use crate::web::pages::{render, render_status, Page};
use crate::web::{AppState, Session};
use crate::AppError;

/// The answer form as sent: the optional 分野 and every `q_…` field (the questions are
/// data, so their names are too), each with all its values in the order sent (check
/// boxes repeat a name).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct AnswerForm {
    field: String,
    #[serde(flatten)]
    rest: BTreeMap<String, Values>,
}

impl From<AnswerForm> for Sent {
    fn from(f: AnswerForm) -> Sent {
        Sent {
            field: f.field,
            values: f
                .rest
                .into_iter()
                .filter(|(k, _)| k.starts_with("q_"))
                .map(|(k, v)| (k, v.0))
                .collect(),
        }
    }
}

/// Answers one link accepts per minute (a room of trainees answering at once fits;
/// a script does not).
const PER_MINUTE: usize = 120;

/// Counts answers per link (by token hash) over the last minute, in memory.
fn allow(token: &str) -> bool {
    static HITS: OnceLock<Mutex<HashMap<String, Vec<Instant>>>> = OnceLock::new();
    let now = Instant::now();
    let window = Duration::from_secs(60);
    let mut m = HITS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if m.len() > 10_000 {
        m.retain(|_, v| v.last().is_some_and(|t| now.duration_since(*t) < window));
    }
    let v = m.entry(sha256_hex(token)).or_default();
    v.retain(|t| now.duration_since(*t) < window);
    if v.len() >= PER_MINUTE {
        return false;
    }
    v.push(now);
    true
}

pub struct OptView {
    pub id: String,
    pub value: String,
    pub label: String,
    pub checked: bool,
    pub other: bool,
}

pub struct QView {
    pub n: usize,
    pub name: String,
    pub kind: &'static str,
    pub text: String,
    pub required: bool,
    pub options: Vec<OptView>,
    pub other_name: String,
    pub other_value: String,
    pub value: String,
    pub invalid: bool,
}

#[derive(Template)]
#[template(path = "surveys/survey_answer.html")]
struct AnswerPage {
    page: Page,
    token: String,
    s: PublicSurvey,
    phase_label: &'static str,
    date: String,
    intro: String,
    fields: Vec<Opt>,
    questions: Vec<QView>,
    errors: Vec<String>,
}

fn answer_page(
    csrf: &str,
    token: &str,
    s: PublicSurvey,
    sent: &Sent,
    errors: Vec<crate::error::FieldError>,
) -> AnswerPage {
    let field = &sent.field;
    let questions = s
        .questions
        .for_phase(s.phase)
        .enumerate()
        .map(|(i, q)| {
            let name = model::field_name(&q.key);
            let values = sent.all(&name);
            QView {
                n: i + 1,
                kind: match q.kind {
                    Kind::Single => "single",
                    Kind::Multi => "multi",
                    Kind::Text => "text",
                },
                text: q.text(s.phase).to_string(),
                required: q.required,
                options: q
                    .options
                    .iter()
                    .map(|c| OptView {
                        id: format!("{name}-{}", c.key),
                        value: c.key.clone(),
                        label: c.label.clone(),
                        checked: values.contains(&c.key),
                        other: c.other,
                    })
                    .collect(),
                other_name: model::other_name(&q.key),
                other_value: sent.first(&model::other_name(&q.key)).to_string(),
                value: if q.kind == Kind::Text {
                    sent.first(&name).to_string()
                } else {
                    String::new()
                },
                invalid: errors.iter().any(|e| e.field == name),
                name,
            }
        })
        .collect();
    AnswerPage {
        page: Page::new(
            format!("{}アンケート（{}）", s.phase.label(), s.training_title),
            None,
            csrf,
            "/s",
        ),
        token: token.to_string(),
        phase_label: s.phase.label(),
        date: date_label(&s.training_date),
        intro: s.questions.intro(s.phase).to_string(),
        fields: s
            .fields
            .iter()
            .map(|f| Opt {
                value: f.clone(),
                label: f.clone(),
                selected: f == field,
            })
            .collect(),
        questions,
        errors: errors.into_iter().map(|e| e.message).collect(),
        s,
    }
}

#[derive(Template)]
#[template(path = "surveys/survey_message.html")]
struct MessagePage {
    page: Page,
    heading: &'static str,
    message: String,
    success: bool,
}

/// Search engines should never keep an answer page.
fn public(mut res: Response) -> Response {
    res.headers_mut().insert(
        "x-robots-tag",
        HeaderValue::from_static("noindex, nofollow"),
    );
    res
}

fn message(status: StatusCode, heading: &'static str, message: &str, success: bool) -> Response {
    public(render_status(
        status,
        &MessagePage {
            page: Page::new(heading, None, "", "/s"),
            heading,
            message: message.to_string(),
            success,
        },
    ))
}

/// The same page for an unknown, malformed or closed link: it tells nothing about
/// which of the three it is.
fn not_open() -> Response {
    message(
        StatusCode::NOT_FOUND,
        "このアンケートには回答できません",
        "回答の受付が終わったか、リンクが正しくありません。お手元のリンクをもう一度ご確認いただくか、研修会の担当者にお問い合わせください。",
        false,
    )
}

/// `?code=` on a letter's QR code: the invitation code, filled in.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct CodeQuery {
    code: String,
}

pub(super) async fn answer_form(
    State(st): State<AppState>,
    Extension(session): Extension<Session>,
    Path(token): Path<String>,
    Query(q): Query<CodeQuery>,
) -> Response {
    // A link typed from paper (capitals, no hyphens, O for 0) goes to its usual form.
    let Some(canonical) = store::canonical_token(&token) else {
        return not_open();
    };
    if canonical != token {
        return Redirect::to(&format!("/s/{canonical}")).into_response();
    }
    match store::public_link(&st.db, &token).await {
        Ok(Some(s)) => public(render(&answer_page(
            &session.csrf,
            &token,
            s,
            &Sent::default(),
            vec![],
        ))),
        Ok(None) => crate::surveys::engine::web::public::form(&st, &session.csrf, &token, &q.code)
            .await
            .unwrap_or_else(not_open),
        Err(e) => crate::web::pages::error_page(None, &e),
    }
}

pub(super) async fn answer_submit(
    State(st): State<AppState>,
    Extension(session): Extension<Session>,
    Path(token): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let Some(token) = store::canonical_token(&token) else {
        return not_open();
    };
    let busy = !allow(&token);
    if !matches!(store::public_link(&st.db, &token).await, Ok(Some(_))) {
        return crate::surveys::engine::web::public::submit(
            &st,
            &session.csrf,
            &token,
            &body,
            busy,
        )
        .await
        .unwrap_or_else(not_open);
    }
    let sent = match crate::web::form::decode_form::<AnswerForm>(&body) {
        Ok(f) => Sent::from(f),
        Err(e) => return crate::web::pages::error_page(None, &e),
    };
    if busy {
        return match store::public_link(&st.db, &token).await {
            Ok(Some(s)) => {
                let mut page = answer_page(&session.csrf, &token, s, &sent, vec![]);
                page.errors = vec!["ただいま回答が集中しています。1分ほど待ってから、もう一度「回答を送信する」を押してください（入力した内容は残っています）。".into()];
                public(render_status(StatusCode::TOO_MANY_REQUESTS, &page))
            }
            Ok(None) => not_open(),
            Err(e) => crate::web::pages::error_page(None, &e),
        };
    }
    match store::submit(&st.db, &token, &sent).await {
        Ok(()) => Redirect::to(&format!("/s/{token}/thanks")).into_response(),
        Err(AppError::Validation(errors)) => match store::public_link(&st.db, &token).await {
            Ok(Some(s)) => public(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &answer_page(&session.csrf, &token, s, &sent, errors),
            )),
            Ok(None) => not_open(),
            Err(e) => crate::web::pages::error_page(None, &e),
        },
        Err(AppError::NotFound) => not_open(),
        Err(AppError::Conflict(m)) => message(
            StatusCode::CONFLICT,
            "回答を受け付けられませんでした",
            &m,
            false,
        ),
        Err(e) => crate::web::pages::error_page(None, &e),
    }
}

/// Shown after an answer was saved; it reads nothing, so it stays the same after the
/// link closes.
pub(super) async fn thanks(State(st): State<AppState>, Path(token): Path<String>) -> Response {
    if let Some(r) = crate::surveys::engine::web::public::thanks(&st, &token).await {
        return r;
    }
    message(
        StatusCode::OK,
        "ご回答ありがとうございました",
        "回答を受け付けました。このページは閉じてかまいません。",
        true,
    )
}
#[cfg(test)]
mod tests {
    use super::*;

    fn sent(body: &str) -> Sent {
        Sent::from(serde_html_form::from_str::<AnswerForm>(body).unwrap())
    }

    #[test]
    fn the_answer_form_keeps_every_value_of_a_name() {
        let s = sent("_csrf=x&field=%E6%95%99%E8%82%B2&q_roles=1&q_viewpoints=c&q_viewpoints=a&q_next_other=");
        assert_eq!(s.field, "教育");
        assert_eq!(s.all("q_roles"), ["1"]);
        assert_eq!(s.all("q_viewpoints"), ["c", "a"]);
        assert_eq!(s.first("q_next_other"), "");
        assert!(
            !s.values.contains_key("_csrf"),
            "only the questions' fields"
        );
        assert!(sent("").values.is_empty());
    }

    #[test]
    fn the_limiter_counts_per_link() {
        let t = "f".repeat(64);
        for _ in 0..PER_MINUTE {
            assert!(allow(&t));
        }
        assert!(!allow(&t));
        assert!(allow(&"e".repeat(64)), "another link is not affected");
    }
}
