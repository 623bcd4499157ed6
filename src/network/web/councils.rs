//! The councils pages: the list and a new council; a council with its members (the
//! composition check, the roster as Excel) and the form for its next meeting.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::{agency_opts, checked, notice, number, stamp, Done, MeetingForm, Opt};
use crate::auth::{policy, Action};
use crate::error::FieldError;
use crate::network::model::{self, Composition, Segment};
use crate::network::store::{
    self, Council, CouncilDetail, CouncilInput, MeetingInput, MeetingSummary, MemberInput,
};
use crate::web::form::{Form, Query};
use crate::web::pages::{render_status, Auth, Page, PageResult, WithCtx};
use crate::web::AppState;
use crate::AppError;

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

pub(super) async fn councils_page(
    State(st): State<AppState>,
    a: Auth,
    Query(d): Query<Done>,
) -> PageResult {
    councils_view(&st, &a, vec![], d.done.as_deref()).await
}

/// The new council form: its fields are the council's input as typed.
pub(super) async fn council_create(
    State(st): State<AppState>,
    a: Auth,
    Form(c): Form<CouncilInput>,
) -> PageResult {
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
    meetings: Vec<(MeetingSummary, String)>,
    agencies: Vec<Opt>,
    fields: Vec<Opt>,
    agenda: Vec<SegRow>,
    m: MeetingInput,
    can_manage: bool,
    errors: Vec<FieldError>,
}

pub fn seg_rows(segs: &[Segment], min: usize) -> Vec<SegRow> {
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

pub(super) async fn council_page(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> PageResult {
    council_view(&st, &a, &id, None, vec![], d.done.as_deref()).await
}

/// The new member form.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct MemberForm {
    person_name: String,
    agency_id: String,
    affiliation: String,
    field: String,
    specialty: String,
    role: String,
    term_from: String,
    term_to: String,
    other_councils: String,
    observer: String,
}

impl From<MemberForm> for MemberInput {
    fn from(f: MemberForm) -> MemberInput {
        MemberInput {
            person_name: f.person_name,
            agency_id: Some(f.agency_id).filter(|s| !s.is_empty()),
            affiliation: f.affiliation,
            field: f.field,
            specialty: f.specialty,
            role: f.role,
            term_from: f.term_from,
            term_to: f.term_to,
            other_councils: number(&f.other_councils, 0),
            observer: checked(&f.observer),
        }
    }
}

pub(super) async fn member_add(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Form(f): Form<MemberForm>,
) -> PageResult {
    let m = MemberInput::from(f);
    match store::add_member(&st.db, &a.ctx, &id, &m).await {
        Ok(_) => Ok(Redirect::to(&format!("/councils/{id}?done=member#members")).into_response()),
        Err(AppError::Validation(e)) => council_view(&st, &a, &id, None, e, None).await,
        Err(e) => Err(e).page_err(&a),
    }
}

pub(super) async fn member_remove(
    State(st): State<AppState>,
    a: Auth,
    Path((id, mid)): Path<(String, String)>,
) -> PageResult {
    store::remove_member(&st.db, &a.ctx, &id, &mid)
        .await
        .page_err(&a)?;
    Ok(Redirect::to(&format!("/councils/{id}?done=member#members")).into_response())
}

pub(super) async fn meeting_create(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Form(f): Form<MeetingForm>,
) -> PageResult {
    let (mut m, form_errs) = f.input();
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

// ---------------------------------------------------------------- Excel

pub(super) async fn members_xlsx(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
) -> PageResult {
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
