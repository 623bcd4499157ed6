//! The trainings pages: the list, a new training (a programme to start from, the
//! guide's four scenarios), and saving a training with its participants.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{notice, number, Rows};
use crate::auth::{policy, Action};
use crate::error::FieldError;
use crate::network::model;
use crate::network::store::{self, Participant, Session, Training, TrainingInput};
use crate::web::form::{Form, Query};
use crate::web::pages::{render, render_status, Auth, Page, PageResult, WithCtx};
use crate::web::AppState;
use crate::AppError;

pub struct ScenarioView {
    pub key: &'static str,
    pub scene: &'static str,
    pub disease: &'static str,
    pub story: &'static str,
    pub checked: bool,
}

pub struct SessionRow {
    pub i: usize,
    pub s: Session,
}

pub struct ParticipantRow {
    pub i: usize,
    pub p: Participant,
}

#[derive(Template)]
#[template(path = "network/training.html")]
struct TrainingPage {
    page: Page,
    id: Option<String>,
    t: TrainingInput,
    sessions: Vec<SessionRow>,
    participants: Vec<ParticipantRow>,
    scenarios: Vec<ScenarioView>,
    attended: usize,
    can_manage: bool,
    errors: Vec<FieldError>,
    /// The box of the training's survey, as `surveys::web` rendered it ("" when none).
    survey_box: String,
}

fn training_page_data(
    a: &Auth,
    id: Option<String>,
    t: TrainingInput,
    errors: Vec<FieldError>,
    done: Option<&str>,
) -> TrainingPage {
    let mut sessions: Vec<SessionRow> = t
        .curriculum
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, s)| SessionRow { i, s })
        .collect();
    let n = sessions.len();
    for i in n..(n + 2).max(5) {
        sessions.push(SessionRow {
            i,
            s: Session::default(),
        });
    }
    let mut participants: Vec<ParticipantRow> = t
        .participants
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, p)| ParticipantRow { i, p })
        .collect();
    let n = participants.len();
    for i in n..(n + 3).max(6) {
        participants.push(ParticipantRow {
            i,
            p: Participant::default(),
        });
    }
    TrainingPage {
        page: Page::for_auth(
            if t.title.is_empty() {
                "研修会".to_string()
            } else {
                t.title.clone()
            },
            a,
        )
        .notice(notice(done)),
        scenarios: model::SCENARIOS
            .iter()
            .map(|(k, s, d, st)| ScenarioView {
                key: k,
                scene: s,
                disease: d,
                story: st,
                checked: t.scenarios.iter().any(|x| x == k),
            })
            .collect(),
        attended: t.participants.iter().filter(|p| p.attended).count(),
        id,
        t,
        sessions,
        participants,
        can_manage: policy::can(&a.ctx, Action::ManageNetwork),
        errors,
        survey_box: String::new(),
    }
}

#[derive(Template)]
#[template(path = "network/trainings.html")]
struct TrainingsPage {
    page: Page,
    trainings: Vec<Training>,
    can_manage: bool,
}

pub(super) async fn trainings_page(
    State(st): State<AppState>,
    a: Auth,
    Query(q): Query<NewQuery>,
) -> PageResult {
    if q.new.is_some() {
        policy::require(&a.ctx, Action::ManageNetwork).page_err(&a)?;
        let t = TrainingInput {
            curriculum: vec![
                Session {
                    time: "13:00-13:10".into(),
                    title: "開会・趣旨説明".into(),
                    ..Default::default()
                },
                Session {
                    time: "13:10-13:50".into(),
                    title: "講義：小児慢性特定疾病児童等自立支援事業と地域連携".into(),
                    ..Default::default()
                },
                Session {
                    time: "14:00-15:20".into(),
                    title: "グループワーク：事例検討と頼れる人マップ".into(),
                    ..Default::default()
                },
                Session {
                    time: "15:20-15:50".into(),
                    title: "発表・意見交換".into(),
                    ..Default::default()
                },
            ],
            scenarios: model::SCENARIOS.iter().map(|s| s.0.to_string()).collect(),
            ..Default::default()
        };
        return Ok(render(&training_page_data(&a, None, t, vec![], None)));
    }
    Ok(render(&TrainingsPage {
        page: Page::for_auth("研修会", &a),
        trainings: store::list_trainings(&st.db, &a.ctx).await.page_err(&a)?,
        can_manage: policy::can(&a.ctx, Action::ManageNetwork),
    }))
}

/// `?new`: the form for a new training.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct NewQuery {
    new: Option<String>,
}

/// The training form: up to 30 programme rows (`s_time_{i}`, `s_title_{i}`,
/// `s_speaker_{i}`, `s_content_{i}`), the scenarios ticked, and up to 200 participants
/// (`p_name_{i}`, `p_aff_{i}`, `p_field_{i}`, `p_group_{i}`, `p_attended_{i}`).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct TrainingForm {
    title: String,
    date: String,
    place: String,
    scenarios: Vec<String>,
    notes: String,
    #[serde(flatten)]
    rows: Rows,
}

impl From<TrainingForm> for TrainingInput {
    fn from(f: TrainingForm) -> TrainingInput {
        TrainingInput {
            curriculum: (0..30)
                .map(|i| Session {
                    time: f.rows.text("s_time", i),
                    title: f.rows.text("s_title", i),
                    speaker: f.rows.text("s_speaker", i),
                    content: f.rows.text("s_content", i),
                })
                .collect(),
            participants: (0..200)
                .map(|i| Participant {
                    name: f.rows.text("p_name", i),
                    affiliation: f.rows.text("p_aff", i),
                    field: f.rows.text("p_field", i),
                    group: number(&f.rows.text("p_group", i), 0),
                    attended: f.rows.ticked("p_attended", i),
                })
                .collect(),
            title: f.title,
            date: f.date,
            place: f.place,
            scenarios: f.scenarios,
            notes: f.notes,
        }
    }
}

pub(super) async fn training_create(
    State(st): State<AppState>,
    a: Auth,
    Form(f): Form<TrainingForm>,
) -> PageResult {
    let t = TrainingInput::from(f);
    match store::save_training(&st.db, &a.ctx, None, &t).await {
        Ok(id) => Ok(Redirect::to(&format!("/trainings/{id}?done=training")).into_response()),
        Err(AppError::Validation(e)) => Ok(render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &training_page_data(&a, None, t, e, None),
        )),
        Err(e) => Err(e).page_err(&a),
    }
}

/// A saved training's page, with the box of its survey (`survey_box`, rendered by
/// `surveys::web`, which serves `GET /trainings/{id}`).
pub fn training_page(
    a: &Auth,
    id: Option<String>,
    t: TrainingInput,
    done: Option<&str>,
    survey_box: String,
) -> Response {
    let mut page = training_page_data(a, id, t, vec![], done);
    page.survey_box = survey_box;
    render(&page)
}

pub(super) async fn training_update(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Form(f): Form<TrainingForm>,
) -> PageResult {
    let t = TrainingInput::from(f);
    match store::save_training(&st.db, &a.ctx, Some(&id), &t).await {
        Ok(_) => Ok(Redirect::to(&format!("/trainings/{id}?done=training")).into_response()),
        Err(AppError::Validation(e)) => Ok(render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &training_page_data(&a, Some(id), t, e, None),
        )),
        Err(e) => Err(e).page_err(&a),
    }
}
