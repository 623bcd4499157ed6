//! Pages of the collaboration network: goals and hub, councils, meetings (agenda,
//! minutes, actions), trainings, contracts and monthly reports.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use super::model::{self, Composition, Segment};
use super::store::{
    self, ActionItem, AsIs, Contract, ContractInput, Council, CouncilDetail, CouncilInput, Goals,
    GoalsInput, Meeting, MeetingInput, MeetingRecord, MemberInput, Participant, Purpose, Report,
    ReportInput, Session, Training, TrainingInput,
};
use crate::auth::{policy, Action, Role};
use crate::error::FieldError;
use crate::web::form::{checked, many, one, pairs};
use crate::web::pages::{render, render_status, Auth, Page, PageResult, WithCtx};
use crate::web::AppState;
use crate::AppError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/network", get(hub))
        .route("/network/map", get(network_map_page))
        .route("/network/map.svg", get(network_map_svg))
        .route("/network/goals", get(goals_page).post(goals_save))
        .route("/network/goals/edit", get(goals_edit))
        .route("/network/goals/print", get(goals_print))
        .route("/councils", get(councils_page).post(council_create))
        .route("/councils/{id}", get(council_page))
        .route("/councils/{id}/members", post(member_add))
        .route("/councils/{id}/members.xlsx", get(members_xlsx))
        .route("/councils/{id}/members/{mid}/delete", post(member_remove))
        .route("/councils/{id}/meetings", post(meeting_create))
        .route("/meetings/{id}", get(meeting_page).post(meeting_record))
        .route("/meetings/{id}/print", get(meeting_print))
        .route("/meetings/{id}/minutes.xlsx", get(minutes_xlsx))
        .route("/meetings/{id}/actions", post(action_add))
        .route("/action-items", get(actions_page))
        .route("/action-items/{id}/done", post(action_done))
        .route("/trainings", get(trainings_page).post(training_create))
        .route("/trainings/{id}", get(training_page).post(training_update))
        .route("/contracts", get(contracts_page).post(contract_create))
        .route("/contracts/{id}", get(contract_page))
        .route("/contracts/{id}/reports", post(report_draft))
        .route("/reports/{id}", post(report_save))
        .route("/reports/{id}/decision", post(report_decide))
}

pub use crate::web::form::Opt;

fn notice(done: Option<&str>) -> Option<String> {
    Some(
        match done? {
            "goals" => "連携目的の新しい版を保存しました。",
            "council" => "協議会を登録しました。",
            "member" => "構成員を更新しました。",
            "meeting" => "会議を登録しました。議題の時間は会議の時間に収まっています。",
            "record" => "出欠・議事録・決定事項を保存しました。",
            "action" => "アクションを更新しました。",
            "training" => "研修会を保存しました。",
            "contract" => "委託契約を登録しました。",
            "draft" => "月次報告の下書きを、担当した子どもの記録から作りました。",
            "saved" => "月次報告を保存しました。",
            "submitted" => "月次報告を提出しました。",
            "approved" => "月次報告を承認しました。",
            "returned" => "月次報告を差し戻しました。",
            _ => return None,
        }
        .to_string(),
    )
}

#[derive(Deserialize, Default)]
struct Done {
    done: Option<String>,
}

pub(crate) fn stamp(s: &str) -> String {
    // 2026-01-20T14:00 → 令和8年1月20日 14:00
    crate::time::format_local_stamp(s)
}

// ---------------------------------------------------------------- hub

#[derive(Template)]
#[template(path = "network/hub.html")]
struct HubPage {
    page: Page,
    goals: Option<Goals>,
    councils: Vec<Council>,
    meetings: Vec<(store::MeetingSummary, String)>,
    trainings: Vec<Training>,
    actions: Vec<ActionItem>,
    can_manage: bool,
    can_contracts: bool,
}

async fn hub(State(st): State<AppState>, a: Auth) -> PageResult {
    let goals = store::goal_versions(&st.db, &a.ctx)
        .await
        .page_err(&a)?
        .into_iter()
        .next();
    Ok(render(&HubPage {
        page: Page::for_auth("連携・協議会", &a),
        goals,
        councils: store::list_councils(&st.db, &a.ctx).await.page_err(&a)?,
        meetings: store::list_meetings(&st.db, &a.ctx, None)
            .await
            .page_err(&a)?
            .into_iter()
            .take(8)
            .map(|m| (stamp(&m.starts_at), m))
            .map(|(s, m)| (m, s))
            .collect(),
        trainings: store::list_trainings(&st.db, &a.ctx).await.page_err(&a)?,
        actions: store::action_items(&st.db, &a.ctx, None, true)
            .await
            .page_err(&a)?,
        can_manage: policy::can(&a.ctx, Action::ManageNetwork),
        can_contracts: policy::can(&a.ctx, Action::ManageContracts) || a.ctx.role == Role::Auditor,
    }))
}

// ---------------------------------------------------------------- goals

#[derive(Template)]
#[template(path = "network/goals.html")]
struct GoalsPage {
    page: Page,
    versions: Vec<Goals>,
    can_manage: bool,
    print: bool,
}

async fn goals_view(st: &AppState, a: &Auth, print: bool, done: Option<&str>) -> PageResult {
    let versions = store::goal_versions(&st.db, &a.ctx).await.page_err(a)?;
    Ok(render(&GoalsPage {
        page: Page::for_auth(
            if print {
                "連携目的（配布用）"
            } else {
                "連携目的と中核機関"
            },
            a,
        )
        .notice(notice(done)),
        versions,
        can_manage: policy::can(&a.ctx, Action::ManageNetwork),
        print,
    }))
}

async fn goals_page(State(st): State<AppState>, a: Auth, Query(d): Query<Done>) -> PageResult {
    goals_view(&st, &a, false, d.done.as_deref()).await
}

async fn goals_print(State(st): State<AppState>, a: Auth) -> PageResult {
    goals_view(&st, &a, true, None).await
}

pub struct Row3 {
    pub i: usize,
    pub a: String,
    pub b: String,
    pub c: String,
}

#[derive(Template)]
#[template(path = "network/goals_form.html")]
struct GoalsForm {
    page: Page,
    to_be: String,
    as_is: Vec<Row3>,
    purposes: Vec<Row3>,
    agencies: Vec<Opt>,
    hub_people: String,
    errors: Vec<FieldError>,
}

async fn agency_opts(
    st: &AppState,
    a: &Auth,
    selected: Option<&str>,
) -> Result<Vec<Opt>, crate::web::pages::PageError> {
    let t = a.ctx.tenant().page_err(a)?.to_string();
    let ix = crate::agencies::search::index(&st.db, &t)
        .await
        .page_err(a)?;
    Ok(ix
        .search(&crate::agencies::search::Query {
            limit: 1000,
            ..Default::default()
        })
        .items
        .into_iter()
        .map(|s| Opt {
            selected: Some(s.id.as_str()) == selected,
            value: s.id,
            label: format!("{}（{}）", s.name, s.field),
        })
        .collect())
}

fn rows3(items: Vec<(String, String, String)>, min: usize) -> Vec<Row3> {
    let mut out: Vec<Row3> = items
        .into_iter()
        .enumerate()
        .map(|(i, (a, b, c))| Row3 { i, a, b, c })
        .collect();
    let n = out.len();
    for i in n..(n + 2).max(min) {
        out.push(Row3 {
            i,
            a: String::new(),
            b: String::new(),
            c: String::new(),
        });
    }
    out
}

async fn goals_form(st: &AppState, a: &Auth, g: GoalsInput, errors: Vec<FieldError>) -> PageResult {
    let agencies = agency_opts(st, a, g.hub_agency_id.as_deref()).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(render_status(
        status,
        &GoalsForm {
            page: Page::for_auth("連携目的の見直し", a),
            to_be: g.to_be.join("\n"),
            as_is: rows3(
                g.as_is
                    .into_iter()
                    .map(|x| (x.text, x.source, String::new()))
                    .collect(),
                4,
            ),
            purposes: rows3(
                g.purposes
                    .into_iter()
                    .map(|p| (p.text, p.indicator, p.target))
                    .collect(),
                4,
            ),
            agencies,
            hub_people: g.hub_people,
            errors,
        },
    ))
}

async fn goals_edit(State(st): State<AppState>, a: Auth) -> PageResult {
    policy::require(&a.ctx, Action::ManageNetwork).page_err(&a)?;
    let current = store::goal_versions(&st.db, &a.ctx)
        .await
        .page_err(&a)?
        .into_iter()
        .next()
        .map(|g| g.input)
        .unwrap_or_default();
    goals_form(&st, &a, current, vec![]).await
}

async fn goals_save(State(st): State<AppState>, a: Auth, body: Bytes) -> PageResult {
    let p = pairs(&body);
    let g = GoalsInput {
        to_be: one(&p, "to_be").lines().map(str::to_string).collect(),
        as_is: (0..20)
            .map(|i| AsIs {
                text: one(&p, &format!("as_is_{i}")),
                source: one(&p, &format!("as_is_source_{i}")),
            })
            .collect(),
        purposes: (0..20)
            .map(|i| Purpose {
                text: one(&p, &format!("purpose_{i}")),
                indicator: one(&p, &format!("indicator_{i}")),
                target: one(&p, &format!("target_{i}")),
            })
            .collect(),
        hub_agency_id: Some(one(&p, "hub_agency_id")).filter(|s| !s.is_empty()),
        hub_people: one(&p, "hub_people"),
        note: one(&p, "note"),
    };
    match store::save_goals(&st.db, &a.ctx, &g).await {
        Ok(_) => Ok(Redirect::to("/network/goals?done=goals").into_response()),
        Err(AppError::Validation(e)) => goals_form(&st, &a, g, e).await,
        Err(e) => Err(e).page_err(&a),
    }
}

// ---------------------------------------------------------------- councils

#[derive(Template)]
#[template(path = "network/councils.html")]
struct CouncilsPage {
    page: Page,
    councils: Vec<Council>,
    kinds: Vec<Opt>,
    can_manage: bool,
    errors: Vec<FieldError>,
}

async fn councils_view(
    st: &AppState,
    a: &Auth,
    errors: Vec<FieldError>,
    done: Option<&str>,
) -> PageResult {
    let councils = store::list_councils(&st.db, &a.ctx).await.page_err(a)?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(render_status(
        status,
        &CouncilsPage {
            page: Page::for_auth("協議会", a).notice(notice(done)),
            councils,
            kinds: model::COUNCIL_KINDS
                .iter()
                .map(|k| Opt {
                    value: k.to_string(),
                    label: k.to_string(),
                    selected: false,
                })
                .collect(),
            can_manage: policy::can(&a.ctx, Action::ManageNetwork),
            errors,
        },
    ))
}

async fn councils_page(State(st): State<AppState>, a: Auth, Query(d): Query<Done>) -> PageResult {
    councils_view(&st, &a, vec![], d.done.as_deref()).await
}

async fn council_create(State(st): State<AppState>, a: Auth, body: Bytes) -> PageResult {
    let p = pairs(&body);
    let c = CouncilInput {
        name: one(&p, "name"),
        kind: one(&p, "kind"),
        purpose: one(&p, "purpose"),
        department: one(&p, "department"),
    };
    match store::create_council(&st.db, &a.ctx, &c).await {
        Ok(id) => Ok(Redirect::to(&format!("/councils/{id}?done=council")).into_response()),
        Err(AppError::Validation(e)) => councils_view(&st, &a, e, None).await,
        Err(e) => Err(e).page_err(&a),
    }
}

pub struct SegRow {
    pub i: usize,
    pub start: String,
    pub minutes: String,
    pub title: String,
    pub presenter: String,
}

#[derive(Template)]
#[template(path = "network/council.html")]
struct CouncilPage {
    page: Page,
    c: CouncilDetail,
    comp: Composition,
    meetings: Vec<(store::MeetingSummary, String)>,
    agencies: Vec<Opt>,
    fields: Vec<Opt>,
    agenda: Vec<SegRow>,
    m: MeetingInput,
    can_manage: bool,
    errors: Vec<FieldError>,
}

pub(crate) fn seg_rows(segs: &[Segment], min: usize) -> Vec<SegRow> {
    let mut out: Vec<SegRow> = segs
        .iter()
        .enumerate()
        .map(|(i, s)| SegRow {
            i,
            start: model::hm(s.offset),
            minutes: s.minutes.to_string(),
            title: s.title.clone(),
            presenter: s.presenter.clone(),
        })
        .collect();
    let n = out.len();
    for i in n..(n + 2).max(min) {
        out.push(SegRow {
            i,
            start: String::new(),
            minutes: String::new(),
            title: String::new(),
            presenter: String::new(),
        });
    }
    out
}

async fn council_view(
    st: &AppState,
    a: &Auth,
    id: &str,
    m: Option<MeetingInput>,
    errors: Vec<FieldError>,
    done: Option<&str>,
) -> PageResult {
    let c = store::get_council(&st.db, &a.ctx, id).await.page_err(a)?;
    let can_manage = policy::can(&a.ctx, Action::ManageNetwork);
    let agencies = if can_manage {
        agency_opts(st, a, None).await?
    } else {
        vec![]
    };
    let m = m.unwrap_or_else(|| MeetingInput {
        title: format!("{} 第{}回", c.council.input.name, c.meetings.len() + 1),
        duration_minutes: 60,
        time: "14:00".into(),
        agenda: model::guide_agenda(),
        ..Default::default()
    });
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(render_status(
        status,
        &CouncilPage {
            page: Page::for_auth(c.council.input.name.clone(), a).notice(notice(done)),
            comp: c.composition.clone(),
            meetings: c
                .meetings
                .iter()
                .cloned()
                .map(|x| (stamp(&x.starts_at), x))
                .map(|(s, x)| (x, s))
                .collect(),
            agencies,
            fields: crate::agencies::model::DEFAULT_FIELDS
                .iter()
                .map(|f| Opt {
                    value: f.to_string(),
                    label: f.to_string(),
                    selected: false,
                })
                .collect(),
            agenda: seg_rows(&m.agenda, 6),
            m,
            c,
            can_manage,
            errors,
        },
    ))
}

async fn council_page(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> PageResult {
    council_view(&st, &a, &id, None, vec![], d.done.as_deref()).await
}

async fn member_add(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    let p = pairs(&body);
    let m = MemberInput {
        person_name: one(&p, "person_name"),
        agency_id: Some(one(&p, "agency_id")).filter(|s| !s.is_empty()),
        affiliation: one(&p, "affiliation"),
        field: one(&p, "field"),
        specialty: one(&p, "specialty"),
        role: one(&p, "role"),
        term_from: one(&p, "term_from"),
        term_to: one(&p, "term_to"),
        other_councils: crate::text::nfkc(one(&p, "other_councils").trim())
            .parse()
            .unwrap_or(0),
        observer: checked(&p, "observer"),
    };
    match store::add_member(&st.db, &a.ctx, &id, &m).await {
        Ok(_) => Ok(Redirect::to(&format!("/councils/{id}?done=member#members")).into_response()),
        Err(AppError::Validation(e)) => council_view(&st, &a, &id, None, e, None).await,
        Err(e) => Err(e).page_err(&a),
    }
}

async fn member_remove(
    State(st): State<AppState>,
    a: Auth,
    Path((id, mid)): Path<(String, String)>,
) -> PageResult {
    store::remove_member(&st.db, &a.ctx, &id, &mid)
        .await
        .page_err(&a)?;
    Ok(Redirect::to(&format!("/councils/{id}?done=member#members")).into_response())
}

pub(crate) fn meeting_from_form(p: &[(String, String)]) -> (MeetingInput, Vec<FieldError>) {
    let mut errs = vec![];
    let mut agenda = vec![];
    for i in 0..20 {
        let start = one(p, &format!("seg_start_{i}"));
        let minutes = one(p, &format!("seg_minutes_{i}"));
        let title = one(p, &format!("seg_title_{i}"));
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
            presenter: one(p, &format!("seg_presenter_{i}")),
        });
    }
    let m = MeetingInput {
        council_id: None,
        title: one(p, "title"),
        date: one(p, "date"),
        time: one(p, "time"),
        duration_minutes: crate::text::nfkc(one(p, "duration_minutes").trim())
            .parse()
            .unwrap_or(0),
        place: one(p, "place"),
        online: checked(p, "online"),
        agenda,
    };
    (m, errs)
}

async fn meeting_create(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    let p = pairs(&body);
    let (mut m, form_errs) = meeting_from_form(&p);
    m.council_id = Some(id.clone());
    let res = if form_errs.is_empty() {
        store::create_meeting(&st.db, &a.ctx, "council", &m).await
    } else {
        Err(AppError::Validation(form_errs))
    };
    match res {
        Ok(mid) => Ok(Redirect::to(&format!("/meetings/{mid}?done=meeting")).into_response()),
        Err(AppError::Validation(e)) => council_view(&st, &a, &id, Some(m), e, None).await,
        Err(e) => Err(e).page_err(&a),
    }
}

// ---------------------------------------------------------------- meetings

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

async fn meeting_page(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> PageResult {
    meeting_view(&st, &a, &id, false, vec![], d.done.as_deref()).await
}

async fn meeting_print(State(st): State<AppState>, a: Auth, Path(id): Path<String>) -> PageResult {
    meeting_view(&st, &a, &id, true, vec![], None).await
}

async fn meeting_record(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    let p = pairs(&body);
    let mut attendance = many(&p, "attendance");
    attendance.extend(
        one(&p, "guests")
            .split(['、', ',', '\n'])
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty()),
    );
    let rec = MeetingRecord {
        attendance,
        minutes: one(&p, "minutes"),
        decisions: one(&p, "decisions"),
    };
    match store::record_meeting(&st.db, &a.ctx, &id, &rec).await {
        Ok(()) => Ok(Redirect::to(&format!("/meetings/{id}?done=record")).into_response()),
        Err(AppError::Validation(e)) => meeting_view(&st, &a, &id, false, e, None).await,
        Err(e) => Err(e).page_err(&a),
    }
}

async fn action_add(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    let p = pairs(&body);
    let x = ActionItem {
        description: one(&p, "description"),
        owner: one(&p, "owner"),
        due_date: one(&p, "due_date"),
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

async fn actions_page(State(st): State<AppState>, a: Auth, Query(d): Query<Done>) -> PageResult {
    Ok(render(&ActionsPage {
        page: Page::for_auth("会議のアクション", &a).notice(notice(d.done.as_deref())),
        actions: store::action_items(&st.db, &a.ctx, None, true)
            .await
            .page_err(&a)?,
        can_manage: policy::can(&a.ctx, Action::ManageNetwork),
    }))
}

async fn action_done(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    let p = pairs(&body);
    store::set_action_done(&st.db, &a.ctx, &id, one(&p, "status") != "open")
        .await
        .page_err(&a)?;
    let back = one(&p, "back");
    Ok(Redirect::to(if back.starts_with("/meetings/") {
        &back
    } else {
        "/action-items?done=action"
    })
    .into_response())
}

// ---------------------------------------------------------------- trainings

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
    survey_box: Option<super::survey::web::SurveyBox>,
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
        survey_box: None,
    }
}

#[derive(Template)]
#[template(path = "network/trainings.html")]
struct TrainingsPage {
    page: Page,
    trainings: Vec<Training>,
    can_manage: bool,
}

async fn trainings_page(
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

#[derive(Deserialize, Default)]
struct NewQuery {
    new: Option<String>,
}

fn training_from_form(p: &[(String, String)]) -> TrainingInput {
    TrainingInput {
        title: one(p, "title"),
        date: one(p, "date"),
        place: one(p, "place"),
        curriculum: (0..30)
            .map(|i| Session {
                time: one(p, &format!("s_time_{i}")),
                title: one(p, &format!("s_title_{i}")),
                speaker: one(p, &format!("s_speaker_{i}")),
                content: one(p, &format!("s_content_{i}")),
            })
            .collect(),
        scenarios: many(p, "scenarios"),
        participants: (0..200)
            .map(|i| Participant {
                name: one(p, &format!("p_name_{i}")),
                affiliation: one(p, &format!("p_aff_{i}")),
                field: one(p, &format!("p_field_{i}")),
                group: crate::text::nfkc(one(p, &format!("p_group_{i}")).trim())
                    .parse()
                    .unwrap_or(0),
                attended: checked(p, &format!("p_attended_{i}")),
            })
            .collect(),
        notes: one(p, "notes"),
    }
}

async fn training_create(State(st): State<AppState>, a: Auth, body: Bytes) -> PageResult {
    let t = training_from_form(&pairs(&body));
    match store::save_training(&st.db, &a.ctx, None, &t).await {
        Ok(id) => Ok(Redirect::to(&format!("/trainings/{id}?done=training")).into_response()),
        Err(AppError::Validation(e)) => Ok(render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &training_page_data(&a, None, t, e, None),
        )),
        Err(e) => Err(e).page_err(&a),
    }
}

async fn training_page(
    State(st): State<AppState>,
    a: Auth,
    headers: axum::http::HeaderMap,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> PageResult {
    let t = store::get_training(&st.db, &a.ctx, &id)
        .await
        .page_err(&a)?;
    let survey_box = super::survey::web::training_box(&st, &a, &headers, &id).await;
    let mut page = training_page_data(&a, Some(id), t.input, vec![], d.done.as_deref());
    page.survey_box = survey_box;
    Ok(render(&page))
}

async fn training_update(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    let t = training_from_form(&pairs(&body));
    match store::save_training(&st.db, &a.ctx, Some(&id), &t).await {
        Ok(_) => Ok(Redirect::to(&format!("/trainings/{id}?done=training")).into_response()),
        Err(AppError::Validation(e)) => Ok(render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &training_page_data(&a, Some(id), t, e, None),
        )),
        Err(e) => Err(e).page_err(&a),
    }
}

// ---------------------------------------------------------------- contracts

#[derive(Template)]
#[template(path = "network/contracts.html")]
struct ContractsPage {
    page: Page,
    contracts: Vec<Contract>,
    services: Vec<Opt>,
    can_manage: bool,
    errors: Vec<FieldError>,
}

async fn contracts_view(
    st: &AppState,
    a: &Auth,
    errors: Vec<FieldError>,
    done: Option<&str>,
) -> PageResult {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(render_status(
        status,
        &ContractsPage {
            page: Page::for_auth("委託契約と月次報告", a).notice(notice(done)),
            contracts: store::list_contracts(&st.db, &a.ctx).await.page_err(a)?,
            services: model::SERVICES
                .iter()
                .map(|s| Opt {
                    value: s.to_string(),
                    label: s.to_string(),
                    selected: *s == "相談支援",
                })
                .collect(),
            can_manage: policy::can(&a.ctx, Action::ManageContracts),
            errors,
        },
    ))
}

async fn contracts_page(State(st): State<AppState>, a: Auth, Query(d): Query<Done>) -> PageResult {
    contracts_view(&st, &a, vec![], d.done.as_deref()).await
}

async fn contract_create(State(st): State<AppState>, a: Auth, body: Bytes) -> PageResult {
    let p = pairs(&body);
    let c = ContractInput {
        contractor_name: one(&p, "contractor_name"),
        agency_id: None,
        period_from: one(&p, "period_from"),
        period_to: one(&p, "period_to"),
        services: many(&p, "services"),
        price: crate::text::nfkc(one(&p, "price").trim())
            .replace(',', "")
            .parse()
            .unwrap_or(-1),
        subsidy_percent: crate::text::nfkc(one(&p, "subsidy_percent").trim())
            .parse()
            .unwrap_or(-1),
        committee_id: None,
    };
    match store::create_contract(&st.db, &a.ctx, &c).await {
        Ok(id) => Ok(Redirect::to(&format!("/contracts/{id}?done=contract")).into_response()),
        Err(AppError::Validation(e)) => contracts_view(&st, &a, e, None).await,
        Err(e) => Err(e).page_err(&a),
    }
}

#[derive(Template)]
#[template(path = "network/contract.html")]
struct ContractPage {
    page: Page,
    c: Contract,
    reports: Vec<Report>,
    contractor: bool,
    admin: bool,
    this_month: String,
    errors: Vec<FieldError>,
}

async fn contract_view(
    st: &AppState,
    a: &Auth,
    id: &str,
    errors: Vec<FieldError>,
    done: Option<&str>,
) -> PageResult {
    let c = store::get_contract(&st.db, &a.ctx, id).await.page_err(a)?;
    let reports = store::reports(&st.db, &a.ctx, id).await.page_err(a)?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(render_status(
        status,
        &ContractPage {
            page: Page::for_auth(format!("委託契約: {}", c.input.contractor_name), a)
                .notice(notice(done)),
            c,
            reports,
            contractor: policy::can(&a.ctx, Action::SubmitReports),
            admin: policy::can(&a.ctx, Action::ManageContracts),
            this_month: crate::time::today_jst().format("%Y-%m").to_string(),
            errors,
        },
    ))
}

async fn contract_page(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> PageResult {
    contract_view(&st, &a, &id, vec![], d.done.as_deref()).await
}

async fn report_draft(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    let p = pairs(&body);
    match store::draft_report(&st.db, &a.ctx, &id, &one(&p, "month")).await {
        Ok(_) => Ok(Redirect::to(&format!("/contracts/{id}?done=draft#reports")).into_response()),
        Err(AppError::Validation(e)) => contract_view(&st, &a, &id, e, None).await,
        Err(AppError::Conflict(m)) => {
            contract_view(&st, &a, &id, vec![FieldError::new("month", m)], None).await
        }
        Err(e) => Err(e).page_err(&a),
    }
}

async fn report_save(
    State(st): State<AppState>,
    a: Auth,
    Path(rid): Path<String>,
    body: Bytes,
) -> PageResult {
    let p = pairs(&body);
    let contract = one(&p, "contract_id");
    let submit = one(&p, "action") == "submit";
    let r = ReportInput {
        support_summary: one(&p, "support_summary"),
        changes: one(&p, "changes"),
        meetings_held: one(&p, "meetings_held"),
    };
    match store::save_report(&st.db, &a.ctx, &rid, &r, submit).await {
        Ok(()) => Ok(Redirect::to(&format!(
            "/contracts/{contract}?done={}#reports",
            if submit { "submitted" } else { "saved" }
        ))
        .into_response()),
        Err(AppError::Validation(e)) => contract_view(&st, &a, &contract, e, None).await,
        Err(AppError::Conflict(m)) => {
            contract_view(&st, &a, &contract, vec![FieldError::new("report", m)], None).await
        }
        Err(e) => Err(e).page_err(&a),
    }
}

async fn report_decide(
    State(st): State<AppState>,
    a: Auth,
    Path(rid): Path<String>,
    body: Bytes,
) -> PageResult {
    let p = pairs(&body);
    let contract = one(&p, "contract_id");
    let approve = one(&p, "decision") == "approve";
    match store::decide_report(&st.db, &a.ctx, &rid, approve, &one(&p, "reason")).await {
        Ok(()) => Ok(Redirect::to(&format!(
            "/contracts/{contract}?done={}#reports",
            if approve { "approved" } else { "returned" }
        ))
        .into_response()),
        Err(AppError::Validation(e)) => contract_view(&st, &a, &contract, e, None).await,
        Err(AppError::Conflict(m)) => {
            contract_view(&st, &a, &contract, vec![FieldError::new("report", m)], None).await
        }
        Err(e) => Err(e).page_err(&a),
    }
}

// ---------------------------------------------------------------- Excel

async fn members_xlsx(State(st): State<AppState>, a: Auth, Path(id): Path<String>) -> PageResult {
    let c = store::get_council(&st.db, &a.ctx, &id).await.page_err(&a)?;
    let rows = c
        .members
        .iter()
        .map(|m| {
            vec![
                m.input.person_name.clone(),
                m.input.affiliation.clone(),
                m.input.field.clone(),
                m.input.specialty.clone(),
                m.input.role.clone(),
                format!("{}〜{}", m.input.term_from, m.input.term_to),
                m.input.other_councils.to_string(),
                if m.input.observer {
                    "オブザーバー".into()
                } else {
                    String::new()
                },
            ]
        })
        .collect();
    let bytes = crate::render::xlsx::workbook(&[crate::render::xlsx::Sheet {
        name: "構成員名簿",
        columns: &[
            ("氏名", 16.0),
            ("所属", 30.0),
            ("分野", 14.0),
            ("専門領域", 14.0),
            ("役割", 12.0),
            ("任期", 24.0),
            ("他の協議会", 10.0),
            ("備考", 12.0),
        ],
        rows,
    }])
    .map_err(AppError::Internal)
    .page_err(&a)?;
    Ok(crate::web::download::download(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("{}_構成員名簿.xlsx", c.council.input.name),
    ))
}

async fn minutes_xlsx(State(st): State<AppState>, a: Auth, Path(id): Path<String>) -> PageResult {
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

// ---------------------------------------------------------------- network map

#[derive(Template)]
#[template(path = "network/map.html")]
struct MapPage {
    page: Page,
    connected: usize,
    apart: usize,
    hub: String,
    hub_people: String,
}

async fn network_map_page(State(st): State<AppState>, a: Auth) -> PageResult {
    let net = super::hub::load(&st.db, &a.ctx).await.page_err(&a)?;
    let connected = net
        .agencies
        .iter()
        .filter(|x| x.referrals > 0 || !x.scenes.is_empty() || !x.councils.is_empty())
        .count();
    Ok(render(&MapPage {
        page: Page::for_auth("連携ネットワーク", &a),
        apart: net.agencies.len() - connected,
        connected,
        hub: net
            .hub
            .as_ref()
            .map(|h| h.name.clone())
            .unwrap_or_else(|| "未設定".into()),
        hub_people: net.hub_people.clone(),
    }))
}

async fn network_map_svg(State(st): State<AppState>, a: Auth) -> PageResult {
    let net = super::hub::load(&st.db, &a.ctx).await.page_err(&a)?;
    Ok(crate::web::download::svg(super::hub::render(
        &net,
        a.ctx.tenant_name.as_deref().unwrap_or(""),
    )))
}
