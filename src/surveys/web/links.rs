//! The survey's links for staff: the box on the training page, the survey page
//! (questions, links, open / close / new link) and the handout to print.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};

use super::{base_url, date_label, link_view, phase_of, Done, LinkView};
use crate::auth::{policy, Action};
use crate::network::store::Training;
use crate::surveys::model::{Kind, Phase};
use crate::surveys::store;
use crate::web::form::Query;
use crate::web::pages::{render, render_status, Auth, Page, PageResult, WithCtx};
use crate::web::AppState;
use crate::AppError;

/// What the training page shows of its survey (`surveys/survey_box.html`).
pub struct SurveyBox {
    pub training_id: String,
    pub links: Vec<LinkView>,
    pub can_manage: bool,
}

/// The page's CSRF token, which is all the box needs of the page.
struct BoxPage<'a> {
    csrf: &'a str,
}

/// The survey box on its own, put into the training page where it used to be included.
#[derive(Template)]
#[template(path = "surveys/survey_box.html")]
struct BoxFragment<'a> {
    page: BoxPage<'a>,
    survey_box: Option<SurveyBox>,
}

/// `/trainings/{id}`: network's training page, with the box of the training's survey
/// (the links and their status) below the training.
pub(super) async fn training_page(
    State(st): State<AppState>,
    a: Auth,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> PageResult {
    let t = crate::network::store::get_training(&st.db, &a.ctx, &id)
        .await
        .page_err(&a)?;
    let survey_box = BoxFragment {
        page: BoxPage { csrf: &a.csrf },
        survey_box: training_box(&st, &a, &headers, &id).await,
    }
    .render()
    .map_err(|e| AppError::Internal(e.into()))
    .page_err(&a)?;
    Ok(crate::network::web::training_page(
        &a,
        Some(id),
        t.input,
        d.done.as_deref(),
        survey_box,
    ))
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
#[template(path = "surveys/survey.html")]
struct SurveyPage {
    page: Page,
    training: Training,
    survey_name: String,
    links: Vec<LinkView>,
    preview: Vec<PhasePreview>,
    can_manage: bool,
    error: Option<String>,
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
                .map(|q| PreviewQ {
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

pub(super) async fn survey_page(
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

pub(super) async fn open(
    State(st): State<AppState>,
    a: Auth,
    headers: HeaderMap,
    Path((id, phase)): Path<(String, String)>,
) -> PageResult {
    phase_op(st, a, headers, id, phase, "open").await
}

pub(super) async fn close(
    State(st): State<AppState>,
    a: Auth,
    headers: HeaderMap,
    Path((id, phase)): Path<(String, String)>,
) -> PageResult {
    phase_op(st, a, headers, id, phase, "close").await
}

pub(super) async fn reissue(
    State(st): State<AppState>,
    a: Auth,
    headers: HeaderMap,
    Path((id, phase)): Path<(String, String)>,
) -> PageResult {
    phase_op(st, a, headers, id, phase, "reissue").await
}

#[derive(Template)]
#[template(path = "surveys/survey_handout.html")]
struct HandoutPage {
    page: Page,
    training: Training,
    date: String,
    link: LinkView,
    intro: String,
    questions: usize,
}

/// A page to print and hand out: the training, the phase and its link in large type.
pub(super) async fn handout(
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
