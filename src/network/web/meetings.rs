//! The meetings pages: a meeting (agenda as a timeline, attendance, minutes, decisions,
//! actions; printable, and as Excel), the open actions of every meeting, and the
//! meeting form shared with case conferences (`MeetingForm`).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::{checked, notice, number, stamp, Done, Opt, Rows};
use crate::auth::{policy, Action};
use crate::error::FieldError;
use crate::network::model::{self, Segment};
use crate::network::store::{self, ActionItem, Meeting, MeetingInput, MeetingRecord};
use crate::web::form::{Form, Query};
use crate::web::pages::{render, render_status, Auth, Page, PageResult, WithCtx};
use crate::web::AppState;
use crate::AppError;

/// A meeting as typed (a council's next meeting, a case conference): title, date,
/// time, length, place, online, and up to 20 agenda rows (`seg_start_{i}` as 0:05,
/// `seg_minutes_{i}`, `seg_title_{i}`, `seg_presenter_{i}`).
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct MeetingForm {
    pub title: String,
    pub date: String,
    pub time: String,
    pub duration_minutes: String,
    pub place: String,
    pub online: String,
    #[serde(flatten)]
    pub rows: Rows,
}

impl MeetingForm {
    /// The meeting input (without its council) and what could not be read: agenda
    /// rows whose start or minutes are not numbers.
    pub fn input(&self) -> (MeetingInput, Vec<FieldError>) {
        let mut errs = vec![];
        let mut agenda = vec![];
        for i in 0..20 {
            let start = self.rows.text("seg_start", i);
            let minutes = self.rows.text("seg_minutes", i);
            let title = self.rows.text("seg_title", i);
            if start.trim().is_empty() && minutes.trim().is_empty() && title.trim().is_empty() {
                continue;
            }
            let offset = model::parse_hm(&start);
            let mins = crate::text::nfkc(minutes.trim()).parse::<i64>().ok();
            if offset.is_none() || mins.is_none() {
                errs.push(FieldError::new(
                    "agenda",
                    format!(
                        "議題 {} の開始（0:05 の形）と時間（分）を入力してください。",
                        i + 1
                    ),
                ));
            }
            agenda.push(Segment {
                offset: offset.unwrap_or(0),
                minutes: mins.unwrap_or(0),
                title,
                presenter: self.rows.text("seg_presenter", i),
            });
        }
        let m = MeetingInput {
            council_id: None,
            title: self.title.clone(),
            date: self.date.clone(),
            time: self.time.clone(),
            duration_minutes: number(&self.duration_minutes, 0),
            place: self.place.clone(),
            online: checked(&self.online),
            agenda,
        };
        (m, errs)
    }
}

pub struct AgendaRow {
    pub from: String,
    pub to: String,
    pub s: Segment,
}

#[derive(Template)]
#[template(path = "network/meeting.html")]
struct MeetingPage {
    page: Page,
    m: Meeting,
    when: String,
    agenda: Vec<AgendaRow>,
    attendees: Vec<Opt>,
    can_manage: bool,
    print: bool,
    errors: Vec<FieldError>,
}

async fn meeting_view(
    st: &AppState,
    a: &Auth,
    id: &str,
    print: bool,
    errors: Vec<FieldError>,
    done: Option<&str>,
) -> PageResult {
    let m = store::get_meeting(&st.db, &a.ctx, id).await.page_err(a)?;
    let attendees = m
        .members
        .iter()
        .map(|x| {
            let label = format!("{}（{}）", x.input.person_name, x.input.affiliation);
            Opt {
                selected: m.record.attendance.contains(&x.input.person_name),
                value: x.input.person_name.clone(),
                label,
            }
        })
        .collect();
    let agenda = m
        .agenda
        .iter()
        .map(|s| AgendaRow {
            from: model::hm(s.offset),
            to: model::hm(s.offset + s.minutes),
            s: s.clone(),
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(render_status(
        status,
        &MeetingPage {
            page: Page::for_auth(m.summary.title.clone(), a).notice(notice(done)),
            when: stamp(&m.summary.starts_at),
            agenda,
            attendees,
            m,
            can_manage: policy::can(&a.ctx, Action::ManageNetwork),
            print,
            errors,
        },
    ))
}

pub(super) async fn meeting_page(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> PageResult {
    meeting_view(&st, &a, &id, false, vec![], d.done.as_deref()).await
}

pub(super) async fn meeting_print(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
) -> PageResult {
    meeting_view(&st, &a, &id, true, vec![], None).await
}

/// The meeting's record: the members ticked as present, guests (separated by 「、」,
/// commas or lines), minutes and decisions.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct RecordForm {
    attendance: Vec<String>,
    guests: String,
    minutes: String,
    decisions: String,
}

impl From<RecordForm> for MeetingRecord {
    fn from(f: RecordForm) -> MeetingRecord {
        let mut attendance = f.attendance;
        attendance.extend(
            f.guests
                .split(['、', ',', '\n'])
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty()),
        );
        MeetingRecord {
            attendance,
            minutes: f.minutes,
            decisions: f.decisions,
        }
    }
}

pub(super) async fn meeting_record(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Form(f): Form<RecordForm>,
) -> PageResult {
    let rec = MeetingRecord::from(f);
    match store::record_meeting(&st.db, &a.ctx, &id, &rec).await {
        Ok(()) => Ok(Redirect::to(&format!("/meetings/{id}?done=record")).into_response()),
        Err(AppError::Validation(e)) => meeting_view(&st, &a, &id, false, e, None).await,
        Err(e) => Err(e).page_err(&a),
    }
}

/// A new action item of a meeting.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ActionForm {
    description: String,
    owner: String,
    due_date: String,
}

pub(super) async fn action_add(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Form(f): Form<ActionForm>,
) -> PageResult {
    let x = ActionItem {
        description: f.description,
        owner: f.owner,
        due_date: f.due_date,
        ..Default::default()
    };
    match store::add_action(&st.db, &a.ctx, &id, &x).await {
        Ok(_) => Ok(Redirect::to(&format!("/meetings/{id}?done=action#actions")).into_response()),
        Err(AppError::Validation(e)) => meeting_view(&st, &a, &id, false, e, None).await,
        Err(e) => Err(e).page_err(&a),
    }
}

#[derive(Template)]
#[template(path = "network/actions.html")]
struct ActionsPage {
    page: Page,
    actions: Vec<ActionItem>,
    can_manage: bool,
}

pub(super) async fn actions_page(
    State(st): State<AppState>,
    a: Auth,
    Query(d): Query<Done>,
) -> PageResult {
    Ok(render(&ActionsPage {
        page: Page::for_auth("会議のアクション", &a).notice(notice(d.done.as_deref())),
        actions: store::action_items(&st.db, &a.ctx, None, true)
            .await
            .page_err(&a)?,
        can_manage: policy::can(&a.ctx, Action::ManageNetwork),
    }))
}

/// Done or open again (`status`), and the page to go back to (a meeting's, else the
/// list of actions).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ActionDoneForm {
    status: String,
    back: String,
}

pub(super) async fn action_done(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Form(f): Form<ActionDoneForm>,
) -> PageResult {
    store::set_action_done(&st.db, &a.ctx, &id, f.status != "open")
        .await
        .page_err(&a)?;
    let back = f.back;
    Ok(Redirect::to(if back.starts_with("/meetings/") {
        &back
    } else {
        "/action-items?done=action"
    })
    .into_response())
}

// ---------------------------------------------------------------- Excel

pub(super) async fn minutes_xlsx(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
) -> PageResult {
    let m = store::get_meeting(&st.db, &a.ctx, &id).await.page_err(&a)?;
    let agenda = m
        .agenda
        .iter()
        .map(|s| {
            vec![
                format!(
                    "{}-{}",
                    model::hm(s.offset),
                    model::hm(s.offset + s.minutes)
                ),
                s.title.clone(),
                s.presenter.clone(),
            ]
        })
        .collect();
    let record = vec![
        vec!["会議名".into(), m.summary.title.clone()],
        vec![
            "日時".into(),
            format!(
                "{}（{}分）",
                stamp(&m.summary.starts_at),
                m.summary.duration_minutes
            ),
        ],
        vec!["場所".into(), m.summary.place.clone()],
        vec!["出席者".into(), m.record.attendance.join("、")],
        vec!["議事録".into(), m.record.minutes.clone()],
        vec!["決定事項".into(), m.record.decisions.clone()],
    ];
    let actions = m
        .actions
        .iter()
        .map(|x| {
            vec![
                x.description.clone(),
                x.owner.clone(),
                x.due_date.clone(),
                if x.status == "done" {
                    "完了".into()
                } else {
                    "未完了".into()
                },
            ]
        })
        .collect();
    let bytes = crate::render::xlsx::workbook(&[
        crate::render::xlsx::Sheet {
            name: "議事録",
            columns: &[("項目", 12.0), ("内容", 80.0)],
            rows: record,
        },
        crate::render::xlsx::Sheet {
            name: "次第",
            columns: &[("時間", 14.0), ("議題", 50.0), ("担当", 20.0)],
            rows: agenda,
        },
        crate::render::xlsx::Sheet {
            name: "アクション",
            columns: &[
                ("やること", 50.0),
                ("担当", 20.0),
                ("期限", 14.0),
                ("状況", 10.0),
            ],
            rows: actions,
        },
    ])
    .map_err(AppError::Internal)
    .page_err(&a)?;
    Ok(crate::web::download::download(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("{}_議事録.xlsx", m.summary.title),
    ))
}
