//! Pages of case conferences: plan one from the child's record, the conference page
//! (participants with their consent, the shared items of the record, attendance,
//! minutes, decisions, outcomes, 「支援計画に反映」) and its A4 print.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use super::model;
use super::store::{
    self, Conference, ConferenceInput, ConferenceRecord, OutcomeInput, ParticipantInput,
};
use crate::auth::{policy, Action};
use crate::cases::model::consent_item_label;
use crate::error::FieldError;
use crate::network::web::{meeting_from_form, seg_rows, AgendaRow, SegRow};
use crate::web::form::{many, one, pairs, Opt};
use crate::web::pages::{render_status, Auth, Page, PageResult, WithCtx};
use crate::web::AppState;
use crate::AppError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/children/{id}/conferences/new", get(new_form))
        .route("/children/{id}/conferences", post(create))
        .route("/conferences/{id}", get(page).post(record))
        .route("/conferences/{id}/print", get(print))
        .route("/conferences/{id}/participants", post(participant_add))
        .route(
            "/conferences/{id}/participants/{pid}/delete",
            post(participant_remove),
        )
        .route("/conferences/{id}/outcomes", post(outcome_add))
        .route("/conferences/{id}/outcomes/{oid}/done", post(outcome_done))
        .route("/conferences/{id}/reflect", post(reflect))
}

fn notice(done: Option<&str>, rev: Option<i64>) -> Option<String> {
    Some(match done? {
        "created" => "ケース会議を登録しました。議題の時間は会議の時間に収まっています。".into(),
        "participant" => "参加者を更新しました。".into(),
        "record" => "出欠・議事録・決定事項を保存しました。".into(),
        "outcome" => "結果（決まったこと）を更新しました。".into(),
        "reflected" => format!(
            "結果を自立支援計画に反映し、新しい版（第{}版）を作りました。前の版もそのまま残っています。",
            rev.unwrap_or(0)
        ),
        _ => return None,
    })
}

#[derive(Deserialize, Default)]
struct Done {
    done: Option<String>,
    rev: Option<i64>,
}

// ---------------------------------------------------------------- plan a conference

#[derive(Template)]
#[template(path = "conferences/form.html")]
struct FormPage {
    page: Page,
    child_id: String,
    child_name: String,
    c: ConferenceInput,
    agenda: Vec<SegRow>,
    errors: Vec<FieldError>,
}

async fn form_view(
    st: &AppState,
    a: &Auth,
    child_id: &str,
    c: ConferenceInput,
    errors: Vec<FieldError>,
) -> PageResult {
    policy::require(&a.ctx, Action::ManageChildren).page_err(a)?;
    let child = crate::cases::store::get_child(&st.db, &a.ctx, child_id)
        .await
        .page_err(a)?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let agenda = c.agenda.clone().unwrap_or_else(model::default_agenda);
    Ok(render_status(
        status,
        &FormPage {
            page: Page::for_auth("ケース会議を計画する", a),
            child_id: child.id,
            child_name: child.input.name,
            agenda: seg_rows(&agenda, 7),
            c,
            errors,
        },
    ))
}

async fn new_form(State(st): State<AppState>, a: Auth, Path(id): Path<String>) -> PageResult {
    let c = ConferenceInput {
        title: "ケース会議".into(),
        time: "16:00".into(),
        duration_minutes: 60,
        agenda: Some(model::default_agenda()),
        ..Default::default()
    };
    form_view(&st, &a, &id, c, vec![]).await
}

async fn create(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    let p = pairs(&body);
    let (m, form_errs) = meeting_from_form(&p);
    let c = ConferenceInput {
        title: m.title,
        date: m.date,
        time: m.time,
        duration_minutes: m.duration_minutes,
        place: m.place,
        online: m.online,
        agenda: Some(m.agenda),
        purpose: one(&p, "purpose"),
        participants: vec![],
    };
    let res = if form_errs.is_empty() {
        store::create(&st.db, &a.ctx, &id, &c).await
    } else {
        Err(AppError::Validation(form_errs))
    };
    match res {
        Ok(cid) => Ok(Redirect::to(&format!("/conferences/{cid}?done=created")).into_response()),
        Err(AppError::Validation(e)) => form_view(&st, &a, &id, c, e).await,
        Err(e) => Err(e).page_err(&a),
    }
}

// ---------------------------------------------------------------- the conference

pub struct ItemView {
    pub label: String,
    pub shown: bool,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "conferences/show.html")]
struct ShowPage {
    page: Page,
    m: Conference,
    agenda: Vec<AgendaRow>,
    items: Vec<ItemView>,
    shown_labels: String,
    staff: Vec<Opt>,
    consented: Vec<Opt>,
    others: Vec<Opt>,
    owners: Vec<String>,
    unreflected: usize,
    can_manage: bool,
    print: bool,
    errors: Vec<FieldError>,
}

async fn view(
    st: &AppState,
    a: &Auth,
    id: &str,
    print: bool,
    status: StatusCode,
    errors: Vec<FieldError>,
    notice_text: Option<String>,
) -> PageResult {
    let m = store::get(&st.db, &a.ctx, id).await.page_err(a)?;
    let can_manage = !print && policy::can(&a.ctx, Action::ManageChildren);
    let (staff, consented, others) = if can_manage {
        let staff = crate::cases::store::staff(&st.db, &a.ctx)
            .await
            .page_err(a)?
            .into_iter()
            .map(|(value, label)| Opt {
                value,
                label,
                selected: false,
            })
            .collect();
        let consented: Vec<Opt> = m
            .eligible_agencies
            .iter()
            .map(|e| Opt {
                value: e.agency_id.clone(),
                label: format!(
                    "{}（同意: {}）",
                    e.name,
                    e.items
                        .iter()
                        .map(|i| consent_item_label(i))
                        .collect::<Vec<_>>()
                        .join("・")
                ),
                selected: false,
            })
            .collect();
        let t = a.ctx.tenant().page_err(a)?.to_string();
        let ix = crate::agencies::search::index(&st.db, &t)
            .await
            .page_err(a)?;
        let others = ix
            .search(&crate::agencies::search::Query {
                limit: 1000,
                ..Default::default()
            })
            .items
            .into_iter()
            .filter(|s| !m.eligible_agencies.iter().any(|e| e.agency_id == s.id))
            .map(|s| Opt {
                value: s.id,
                label: format!("{}（{}）", s.name, s.field),
                selected: false,
            })
            .collect();
        (staff, consented, others)
    } else {
        (vec![], vec![], vec![])
    };
    let agenda = m
        .agenda
        .iter()
        .map(|s| AgendaRow {
            from: crate::network::model::hm(s.offset),
            to: crate::network::model::hm(s.offset + s.minutes),
            s: s.clone(),
        })
        .collect();
    let items = m
        .items
        .iter()
        .map(|i| ItemView {
            label: i.label.clone(),
            shown: i.shown,
            reason: i.reason.clone(),
        })
        .collect();
    let shown_labels = m
        .shared_items
        .iter()
        .map(|i| consent_item_label(i))
        .collect::<Vec<_>>()
        .join("、");
    let owners = m
        .participants
        .iter()
        .map(|p| match (p.kind.as_str(), p.name.is_empty()) {
            ("agency", true) => p.affiliation.clone(),
            ("agency", false) => format!("{}（{}）", p.affiliation, p.name),
            _ => p.name.clone(),
        })
        .collect();
    let title = if print {
        format!("{}（記録）", m.summary.title)
    } else {
        m.summary.title.clone()
    };
    Ok(render_status(
        status,
        &ShowPage {
            page: Page::for_auth(title, a).notice(notice_text),
            unreflected: m
                .outcomes
                .iter()
                .filter(|o| o.plan_revision.is_none())
                .count(),
            agenda,
            items,
            shown_labels,
            staff,
            consented,
            others,
            owners,
            m,
            can_manage,
            print,
            errors,
        },
    ))
}

async fn page(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> PageResult {
    view(
        &st,
        &a,
        &id,
        false,
        StatusCode::OK,
        vec![],
        notice(d.done.as_deref(), d.rev),
    )
    .await
}

async fn print(State(st): State<AppState>, a: Auth, Path(id): Path<String>) -> PageResult {
    view(&st, &a, &id, true, StatusCode::OK, vec![], None).await
}

/// After a write: back to the page, or the page again with the refusal.
async fn after(
    st: &AppState,
    a: &Auth,
    id: &str,
    res: Result<String, AppError>,
    anchor: &str,
) -> PageResult {
    match res {
        Ok(q) => Ok(Redirect::to(&format!("/conferences/{id}?{q}{anchor}")).into_response()),
        Err(AppError::Validation(e)) => {
            view(st, a, id, false, StatusCode::UNPROCESSABLE_ENTITY, e, None).await
        }
        Err(AppError::Conflict(m)) => {
            view(
                st,
                a,
                id,
                false,
                StatusCode::CONFLICT,
                vec![FieldError::new("conference", m)],
                None,
            )
            .await
        }
        Err(e) => Err(e).page_err(a),
    }
}

async fn record(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    let p = pairs(&body);
    let rec = ConferenceRecord {
        attended: Some(many(&p, "attended")),
        minutes: Some(one(&p, "minutes")),
        decisions: Some(one(&p, "decisions")),
    };
    let res = store::record(&st.db, &a.ctx, &id, &rec)
        .await
        .map(|_| "done=record".to_string());
    after(&st, &a, &id, res, "#record").await
}

async fn participant_add(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    let p = pairs(&body);
    let kind = one(&p, "kind");
    let input = ParticipantInput {
        user_id: Some(one(&p, "user_id")).filter(|s| !s.is_empty()),
        agency_id: Some(one(&p, "agency_id")).filter(|s| !s.is_empty()),
        name: one(&p, "name"),
        kind,
    };
    let res = store::add_participant(&st.db, &a.ctx, &id, &input)
        .await
        .map(|_| "done=participant".to_string());
    after(&st, &a, &id, res, "#participants").await
}

async fn participant_remove(
    State(st): State<AppState>,
    a: Auth,
    Path((id, pid)): Path<(String, String)>,
) -> PageResult {
    let res = store::remove_participant(&st.db, &a.ctx, &id, &pid)
        .await
        .map(|_| "done=participant".to_string());
    after(&st, &a, &id, res, "#participants").await
}

async fn outcome_add(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    let p = pairs(&body);
    let o = OutcomeInput {
        description: one(&p, "description"),
        owner: one(&p, "owner"),
        due_date: one(&p, "due_date"),
    };
    let res = store::add_outcome(&st.db, &a.ctx, &id, &o)
        .await
        .map(|_| "done=outcome".to_string());
    after(&st, &a, &id, res, "#outcomes").await
}

async fn outcome_done(
    State(st): State<AppState>,
    a: Auth,
    Path((id, oid)): Path<(String, String)>,
    body: Bytes,
) -> PageResult {
    let p = pairs(&body);
    let res = store::set_outcome_done(&st.db, &a.ctx, &id, &oid, one(&p, "status") != "open")
        .await
        .map(|_| "done=outcome".to_string());
    after(&st, &a, &id, res, "#outcomes").await
}

async fn reflect(State(st): State<AppState>, a: Auth, Path(id): Path<String>) -> PageResult {
    let res = store::reflect(&st.db, &a.ctx, &id)
        .await
        .map(|r| format!("done=reflected&rev={}", r.revision));
    after(&st, &a, &id, res, "#outcomes").await
}
