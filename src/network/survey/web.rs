//! Pages of the training survey: for staff, the links (open, close, new link, handout
//! to print), the results (tables, bar charts, headline changes; printable A4) and the
//! answers as Excel or CSV; for trainees, the public answer page `/s/{token}` (no
//! account; the pre-session double-submit CSRF cookie of web::csrf; anonymous).

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use serde::Deserialize;

use super::chart::{self, Row};
use super::model::{self, Aggregate, Kind, Phase, QuestionAgg};
use super::store::{self, Link, PublicSurvey, StoredAnswer, Survey};
use crate::auth::{policy, sha256_hex, Action};
use crate::network::store::Training;
use crate::web::form::{many, one, pairs, Opt};
use crate::web::pages::{render, render_status, Auth, Page, PageResult, WithCtx};
use crate::web::{AppState, Session};
use crate::AppError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/trainings/{id}/survey", get(survey_page))
        .route("/trainings/{id}/survey/results", get(results_page))
        .route("/trainings/{id}/survey/answers.xlsx", get(answers_xlsx))
        .route("/trainings/{id}/survey/answers.csv", get(answers_csv))
        .route("/trainings/{id}/survey/{phase}/open", post(open))
        .route("/trainings/{id}/survey/{phase}/close", post(close))
        .route("/trainings/{id}/survey/{phase}/reissue", post(reissue))
        .route("/trainings/{id}/survey/{phase}/handout", get(handout))
        .route("/s/{token}", get(answer_form).post(answer_submit))
        .route("/s/{token}/thanks", get(thanks))
}

/// `https://host` of the request (for links to print), or "" when unknown.
pub fn base_url(headers: &HeaderMap, force_secure: bool) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let ok = !host.is_empty()
        && host.len() <= 255
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c));
    if !ok {
        return String::new();
    }
    let scheme = if crate::web::csrf::is_https(headers, force_secure) {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}

fn phase_of(s: &str) -> Result<Phase, AppError> {
    Phase::parse(s).ok_or(AppError::NotFound)
}

// ---------------------------------------------------------------- the links (staff)

/// One phase's link as the pages show it.
pub struct LinkView {
    pub phase: &'static str,
    pub label: &'static str,
    pub status: &'static str,
    pub status_label: &'static str,
    /// The full URL to hand out (managers only, once started).
    pub url: Option<String>,
    pub answers: i64,
    pub open: bool,
    pub started: bool,
    pub since: String,
}

fn link_view(l: &Link, base: &str) -> LinkView {
    LinkView {
        phase: l.phase.as_str(),
        label: l.phase.label(),
        status: l.status,
        status_label: l.status_label,
        url: l.path.as_ref().map(|p| format!("{base}{p}")),
        answers: l.answers,
        open: l.is_open(),
        started: l.started(),
        since: match (l.is_open(), &l.opened_at, &l.closed_at) {
            (true, Some(o), _) => format!("{}から受付", crate::time::format_datetime(o)),
            (false, _, Some(c)) => format!("{}に締め切り", crate::time::format_datetime(c)),
            _ => String::new(),
        },
    }
}

/// What the training page shows of its survey (`network/survey_box.html`).
pub struct SurveyBox {
    pub training_id: String,
    pub links: Vec<LinkView>,
    pub can_manage: bool,
}

/// The survey box of a training page (None when the caller may not see it).
pub async fn training_box(
    st: &AppState,
    a: &Auth,
    headers: &HeaderMap,
    id: &str,
) -> Option<SurveyBox> {
    let s = store::get(&st.db, &a.ctx, id).await.ok()?;
    let base = base_url(headers, st.config.force_secure_cookies);
    Some(SurveyBox {
        training_id: id.to_string(),
        links: s.links.iter().map(|l| link_view(l, &base)).collect(),
        can_manage: policy::can(&a.ctx, Action::ManageNetwork),
    })
}

pub struct PreviewQ {
    pub n: usize,
    pub text: String,
    pub kind: &'static str,
    pub options: Vec<String>,
}

pub struct PhasePreview {
    pub label: &'static str,
    pub intro: String,
    pub questions: Vec<PreviewQ>,
}

fn kind_label(k: Kind) -> &'static str {
    match k {
        Kind::Single => "一つ選ぶ",
        Kind::Multi => "いくつでも選ぶ",
        Kind::Text => "自由記述",
    }
}

#[derive(Template)]
#[template(path = "network/survey.html")]
struct SurveyPage {
    page: Page,
    training: Training,
    survey_name: String,
    links: Vec<LinkView>,
    preview: Vec<PhasePreview>,
    can_manage: bool,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
struct Done {
    done: Option<String>,
}

fn notice(done: Option<&str>) -> Option<String> {
    Some(
        match done? {
            "open" => "受付を始めました。回答用のリンクを参加者に配ってください。",
            "close" => "受付を締め切りました。このリンクからはもう回答できません。",
            "reissue" => "新しいリンクを作りました。これまでのリンクは使えなくなりました。",
            _ => return None,
        }
        .to_string(),
    )
}

async fn survey_view(
    st: &AppState,
    a: &Auth,
    headers: &HeaderMap,
    id: &str,
    error: Option<String>,
    done: Option<&str>,
) -> PageResult {
    let training = crate::network::store::get_training(&st.db, &a.ctx, id)
        .await
        .page_err(a)?;
    let survey = store::get(&st.db, &a.ctx, id).await.page_err(a)?;
    let base = base_url(headers, st.config.force_secure_cookies);
    let preview = Phase::ALL
        .iter()
        .map(|p| PhasePreview {
            label: p.label(),
            intro: survey.questions.intro(*p).to_string(),
            questions: survey
                .questions
                .for_phase(*p)
                .enumerate()
                .map(|(i, q)| PreviewQ {
                    n: i + 1,
                    text: q.text(*p).to_string(),
                    kind: kind_label(q.kind),
                    options: q.options.iter().map(|c| c.label.clone()).collect(),
                })
                .collect(),
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(render_status(
        status,
        &SurveyPage {
            page: Page::for_auth(
                format!("事前・事後アンケート（{}）", training.input.title),
                a,
            )
            .notice(notice(done)),
            survey_name: survey.questions.name.clone(),
            links: survey.links.iter().map(|l| link_view(l, &base)).collect(),
            preview,
            can_manage: policy::can(&a.ctx, Action::ManageNetwork),
            training,
            error,
        },
    ))
}

async fn survey_page(
    State(st): State<AppState>,
    a: Auth,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> PageResult {
    survey_view(&st, &a, &headers, &id, None, d.done.as_deref()).await
}

async fn phase_op(
    st: AppState,
    a: Auth,
    headers: HeaderMap,
    id: String,
    phase: String,
    op: &str,
) -> PageResult {
    let phase = phase_of(&phase).page_err(&a)?;
    let r = match op {
        "open" => store::set_open(&st.db, &a.ctx, &id, phase, true).await,
        "close" => store::set_open(&st.db, &a.ctx, &id, phase, false).await,
        _ => store::reissue(&st.db, &a.ctx, &id, phase).await,
    };
    match r {
        Ok(()) => Ok(Redirect::to(&format!("/trainings/{id}/survey?done={op}")).into_response()),
        Err(AppError::Validation(e)) => {
            let msg = e
                .into_iter()
                .map(|x| x.message)
                .collect::<Vec<_>>()
                .join(" ");
            survey_view(&st, &a, &headers, &id, Some(msg), None).await
        }
        Err(e) => Err(e).page_err(&a),
    }
}

async fn open(
    State(st): State<AppState>,
    a: Auth,
    headers: HeaderMap,
    Path((id, phase)): Path<(String, String)>,
) -> PageResult {
    phase_op(st, a, headers, id, phase, "open").await
}

async fn close(
    State(st): State<AppState>,
    a: Auth,
    headers: HeaderMap,
    Path((id, phase)): Path<(String, String)>,
) -> PageResult {
    phase_op(st, a, headers, id, phase, "close").await
}

async fn reissue(
    State(st): State<AppState>,
    a: Auth,
    headers: HeaderMap,
    Path((id, phase)): Path<(String, String)>,
) -> PageResult {
    phase_op(st, a, headers, id, phase, "reissue").await
}

#[derive(Template)]
#[template(path = "network/survey_handout.html")]
struct HandoutPage {
    page: Page,
    training: Training,
    date: String,
    link: LinkView,
    intro: String,
    questions: usize,
}

/// A page to print and hand out: the training, the phase and its link in large type.
async fn handout(
    State(st): State<AppState>,
    a: Auth,
    headers: HeaderMap,
    Path((id, phase)): Path<(String, String)>,
) -> PageResult {
    policy::require(&a.ctx, Action::ManageNetwork).page_err(&a)?;
    let phase = phase_of(&phase).page_err(&a)?;
    let training = crate::network::store::get_training(&st.db, &a.ctx, &id)
        .await
        .page_err(&a)?;
    let survey = store::get(&st.db, &a.ctx, &id).await.page_err(&a)?;
    let base = base_url(&headers, st.config.force_secure_cookies);
    let link = link_view(survey.link(phase), &base);
    if link.url.is_none() {
        return Err(AppError::invalid(
            "phase",
            format!(
                "{}アンケートはまだ受付を始めていません。先に「受付を始める」を押してください。",
                phase.label()
            ),
        ))
        .page_err(&a);
    }
    Ok(render(&HandoutPage {
        page: Page::for_auth(format!("{}アンケートのお願い", phase.label()), &a),
        date: date_label(&training.input.date),
        intro: survey.questions.intro(phase).to_string(),
        questions: survey.questions.for_phase(phase).count(),
        training,
        link,
    }))
}

fn date_label(d: &str) -> String {
    crate::cases::store::parse_ymd(d)
        .map(crate::time::format_wareki)
        .unwrap_or_else(|| d.to_string())
}

// ---------------------------------------------------------------- results (staff)

pub struct QResult {
    pub q: QuestionAgg,
    pub n: usize,
    pub pre: bool,
    pub post: bool,
    pub kind: &'static str,
    pub chart: String,
}

#[derive(Template)]
#[template(path = "network/survey_results.html")]
struct ResultsPage {
    page: Page,
    training: Training,
    date: String,
    tenant: String,
    agg: Aggregate,
    headline_chart: String,
    questions: Vec<QResult>,
    links: Vec<LinkView>,
}

fn pct_of(c: &Option<model::Cell>) -> Option<f64> {
    c.and_then(|c| c.percent())
}

fn results_data(agg: Aggregate) -> (Aggregate, String, Vec<QResult>) {
    let series = [Phase::Pre.label(), Phase::Post.label()];
    let headline_chart = chart::bars(
        "研修会の前後での主な変化",
        &series,
        &agg.headlines
            .iter()
            .map(|h| Row {
                label: h.label.clone(),
                values: vec![pct_of(&h.pre), pct_of(&h.post)],
            })
            .collect::<Vec<_>>(),
    );
    let questions = agg
        .questions
        .iter()
        .enumerate()
        .map(|(i, q)| QResult {
            n: i + 1,
            pre: q.phases.contains(&Phase::Pre),
            post: q.phases.contains(&Phase::Post),
            kind: match q.kind {
                Kind::Single => "single",
                Kind::Multi => "multi",
                Kind::Text => "text",
            },
            chart: if q.kind == Kind::Text {
                String::new()
            } else {
                chart::bars(
                    &q.label,
                    &series,
                    &q.rows
                        .iter()
                        .map(|r| Row {
                            label: r.label.clone(),
                            values: vec![pct_of(&r.pre), pct_of(&r.post)],
                        })
                        .collect::<Vec<_>>(),
                )
            },
            q: q.clone(),
        })
        .collect();
    (agg, headline_chart, questions)
}

async fn results_page(State(st): State<AppState>, a: Auth, Path(id): Path<String>) -> PageResult {
    let training = crate::network::store::get_training(&st.db, &a.ctx, &id)
        .await
        .page_err(&a)?;
    let (survey, agg) = store::aggregate(&st.db, &a.ctx, &id).await.page_err(&a)?;
    let (agg, headline_chart, questions) = results_data(agg);
    Ok(render(&ResultsPage {
        page: Page::for_auth(format!("アンケート結果（{}）", training.input.title), &a),
        date: date_label(&training.input.date),
        tenant: a.ctx.tenant_name.clone().unwrap_or_default(),
        links: survey.links.iter().map(|l| link_view(l, "")).collect(),
        training,
        agg,
        headline_chart,
        questions,
    }))
}

// ---------------------------------------------------------------- exports

/// Header and one row per answer: 回答番号, 区分, 回答日時, 分野, then each question
/// (chosen options joined by 「、」; a 「その他」 text in its own column).
fn answer_table(survey: &Survey, answers: &[StoredAnswer]) -> (Vec<String>, Vec<Vec<String>>) {
    let qs = &survey.questions.questions;
    let mut head: Vec<String> = ["回答番号", "区分", "回答日時", "所属の分野"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for q in qs {
        head.push(q.label.clone());
        if q.options.iter().any(|c| c.other) {
            head.push(format!("{}（その他の内容）", q.label));
        }
    }
    let rows = answers
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let mut row = vec![
                (i + 1).to_string(),
                a.phase.label().to_string(),
                crate::time::format_datetime(&a.submitted_at),
                a.field.clone(),
            ];
            for q in qs {
                let v = match q.kind {
                    Kind::Text => a.response.texts.get(&q.key).cloned().unwrap_or_default(),
                    _ => a
                        .response
                        .choices
                        .get(&q.key)
                        .map(|keys| {
                            keys.iter()
                                .filter_map(|k| q.choice(k).map(|c| c.label.clone()))
                                .collect::<Vec<_>>()
                                .join("、")
                        })
                        .unwrap_or_default(),
                };
                row.push(v);
                if q.options.iter().any(|c| c.other) {
                    row.push(a.response.texts.get(&q.key).cloned().unwrap_or_default());
                }
            }
            row
        })
        .collect();
    (head, rows)
}

fn file_base(t: &Training) -> String {
    format!("{}_{}_アンケート回答", t.input.date, t.input.title)
}

async fn answers_xlsx(State(st): State<AppState>, a: Auth, Path(id): Path<String>) -> PageResult {
    let training = crate::network::store::get_training(&st.db, &a.ctx, &id)
        .await
        .page_err(&a)?;
    let (survey, answers) = store::answers(&st.db, &a.ctx, &id).await.page_err(&a)?;
    let (head, rows) = answer_table(&survey, &answers);
    let widths: Vec<(&str, f64)> = head
        .iter()
        .enumerate()
        .map(|(i, h)| (h.as_str(), if i < 4 { 12.0 } else { 24.0 }))
        .collect();
    let (_, agg) = store::aggregate(&st.db, &a.ctx, &id).await.page_err(&a)?;
    let mut summary = vec![];
    for h in &agg.headlines {
        summary.push(vec![
            "主な変化".into(),
            h.label.clone(),
            h.pre.map(|c| c.count.to_string()).unwrap_or_default(),
            h.pre.map(|c| c.pct()).unwrap_or_default(),
            h.post.map(|c| c.count.to_string()).unwrap_or_default(),
            h.post.map(|c| c.pct()).unwrap_or_default(),
        ]);
    }
    for q in &agg.questions {
        if q.kind == Kind::Text {
            continue;
        }
        for r in q.rows.iter().chain(std::iter::once(&q.no_answer)) {
            summary.push(vec![
                q.label.clone(),
                r.label.clone(),
                r.pre.map(|c| c.count.to_string()).unwrap_or_default(),
                r.pre.map(|c| c.pct()).unwrap_or_default(),
                r.post.map(|c| c.count.to_string()).unwrap_or_default(),
                r.post.map(|c| c.pct()).unwrap_or_default(),
            ]);
        }
    }
    summary.push(vec![
        "回答者数".into(),
        String::new(),
        agg.respondents_pre.to_string(),
        String::new(),
        agg.respondents_post.to_string(),
        String::new(),
    ]);
    let bytes = crate::render::xlsx::workbook(&[
        crate::render::xlsx::Sheet {
            name: "集計",
            columns: &[
                ("設問", 26.0),
                ("選択肢", 40.0),
                ("事前 件数", 10.0),
                ("事前 割合", 10.0),
                ("事後 件数", 10.0),
                ("事後 割合", 10.0),
            ],
            rows: summary,
        },
        crate::render::xlsx::Sheet {
            name: "回答",
            columns: &widths,
            rows,
        },
    ])
    .map_err(AppError::Internal)
    .page_err(&a)?;
    Ok(crate::web::download::download(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("{}.xlsx", file_base(&training)),
    ))
}

/// UTF-8 with a BOM (Excel opens it as UTF-8), CRLF; cells a spreadsheet would take
/// for a formula are prefixed with `'`.
fn csv_bytes(head: &[String], rows: Vec<Vec<String>>) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    w.write_record(head)?;
    for r in rows {
        w.write_record(r.into_iter().map(crate::agencies::io::csv_guard))?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!(e.to_string()))
}

async fn answers_csv(State(st): State<AppState>, a: Auth, Path(id): Path<String>) -> PageResult {
    let training = crate::network::store::get_training(&st.db, &a.ctx, &id)
        .await
        .page_err(&a)?;
    let (survey, answers) = store::answers(&st.db, &a.ctx, &id).await.page_err(&a)?;
    let (head, rows) = answer_table(&survey, &answers);
    let bytes = csv_bytes(&head, rows)
        .map_err(AppError::Internal)
        .page_err(&a)?;
    Ok(crate::web::download::download(
        bytes,
        "text/csv; charset=utf-8",
        &format!("{}.csv", file_base(&training)),
    ))
}

// ---------------------------------------------------------------- public answer page

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
#[template(path = "network/survey_answer.html")]
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
    sent: &[(String, String)],
    errors: Vec<crate::error::FieldError>,
) -> AnswerPage {
    let field = one(sent, "field");
    let questions = s
        .questions
        .for_phase(s.phase)
        .enumerate()
        .map(|(i, q)| {
            let name = model::field_name(&q.key);
            let values = many(sent, &name);
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
                other_value: one(sent, &model::other_name(&q.key)),
                value: if q.kind == Kind::Text {
                    one(sent, &name)
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
                selected: *f == field,
            })
            .collect(),
        questions,
        errors: errors.into_iter().map(|e| e.message).collect(),
        s,
    }
}

#[derive(Template)]
#[template(path = "network/survey_message.html")]
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

async fn answer_form(
    State(st): State<AppState>,
    Extension(session): Extension<Session>,
    Path(token): Path<String>,
) -> Response {
    // A link typed from paper (capitals, no hyphens, O for 0) goes to its usual form.
    let Some(canonical) = store::canonical_token(&token) else {
        return not_open();
    };
    if canonical != token {
        return Redirect::to(&format!("/s/{canonical}")).into_response();
    }
    match store::public_link(&st.db, &token).await {
        Ok(Some(s)) => public(render(&answer_page(&session.csrf, &token, s, &[], vec![]))),
        Ok(None) => not_open(),
        Err(e) => crate::web::pages::error_page(None, &e),
    }
}

async fn answer_submit(
    State(st): State<AppState>,
    Extension(session): Extension<Session>,
    Path(token): Path<String>,
    body: Bytes,
) -> Response {
    let Some(token) = store::canonical_token(&token) else {
        return not_open();
    };
    let sent = pairs(&body);
    if !allow(&token) {
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
async fn thanks() -> Response {
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

    #[test]
    fn base_url_from_host() {
        let mut h = HeaderMap::new();
        assert_eq!(base_url(&h, false), "");
        h.insert(
            header::HOST,
            HeaderValue::from_static("yorube.example.jp:8080"),
        );
        assert_eq!(base_url(&h, false), "http://yorube.example.jp:8080");
        h.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert_eq!(base_url(&h, false), "https://yorube.example.jp:8080");
        h.insert(header::HOST, HeaderValue::from_static("evil\"><x"));
        assert_eq!(base_url(&h, false), "");
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
