//! Pages of the optional services: the list with upcoming events, one service with its
//! events, one event with its participants (search a child, register the child and
//! family, mark use or absence, cancel).

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
    self, Candidate, Event, EventInput, Participant, Service, ServiceInput, ServicePatch,
};
use crate::auth::{policy, Action, Role};
use crate::error::FieldError;
use crate::web::form::{checked, many, one, pairs, Opt};
use crate::web::pages::{render_status, Auth, Page, PageResult, WithCtx};
use crate::web::AppState;
use crate::AppError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/services", get(list_page).post(service_create))
        .route("/services/{id}", get(service_page).post(service_update))
        .route("/services/{id}/events", post(event_create))
        .route("/services/events/{id}", get(event_page).post(event_update))
        .route("/services/events/{id}/participants", post(participant_add))
        .route(
            "/services/participants/{id}/status",
            post(participant_status),
        )
        .route(
            "/services/participants/{id}/cancel",
            post(participant_cancel),
        )
}

fn notice(done: Option<&str>) -> Option<String> {
    Some(
        match done? {
            "service" => "事業を登録しました。続けて、回（日程）を追加してください。",
            "updated" => "事業の内容を保存しました。",
            "event" => "回（日程）を追加しました。参加者を登録できます。",
            "event_updated" => "回の内容を保存しました。",
            "registered" => "参加者を登録しました。",
            "status" => "利用の状況を更新しました。",
            "cancelled" => "登録を取り消しました。",
            _ => return None,
        }
        .to_string(),
    )
}

#[derive(Deserialize, Default)]
struct Q {
    done: Option<String>,
    q: Option<String>,
}

fn status_of(errors: &[FieldError], conflict: bool) -> StatusCode {
    if conflict {
        StatusCode::CONFLICT
    } else if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

fn kind_opts(selected: &str) -> Vec<Opt> {
    model::KINDS
        .iter()
        .map(|(k, l, _)| Opt {
            value: k.to_string(),
            label: l.to_string(),
            selected: *k == selected,
        })
        .collect()
}

async fn contract_opts(
    st: &AppState,
    a: &Auth,
    selected: Option<&str>,
) -> Result<Vec<Opt>, crate::web::pages::PageError> {
    Ok(store::contract_options(&st.db, &a.ctx)
        .await
        .page_err(a)?
        .into_iter()
        .map(|(id, label)| Opt {
            selected: Some(id.as_str()) == selected,
            value: id,
            label,
        })
        .collect())
}

fn service_input(p: &[(String, String)]) -> ServiceInput {
    ServiceInput {
        kind: one(p, "kind"),
        name: one(p, "name"),
        description: one(p, "description"),
        target: one(p, "target"),
        contract_id: Some(one(p, "contract_id")).filter(|s| !s.is_empty()),
        active: !p.iter().any(|(k, _)| k == "active") || checked(p, "active"),
    }
}

fn event_input(p: &[(String, String)]) -> EventInput {
    EventInput {
        title: one(p, "title"),
        date: one(p, "date"),
        start_time: one(p, "start_time"),
        end_time: one(p, "end_time"),
        place: one(p, "place"),
        capacity: crate::text::nfkc(one(p, "capacity").trim())
            .parse()
            .unwrap_or(-1),
        notes: one(p, "notes"),
    }
}

// ---------------------------------------------------------------- list

#[derive(Template)]
#[template(path = "services/list.html")]
struct ListPage {
    page: Page,
    services: Vec<Service>,
    upcoming: Vec<Event>,
    kinds: Vec<Opt>,
    contracts: Vec<Opt>,
    form: ServiceInput,
    can_manage: bool,
    contractor: bool,
    errors: Vec<FieldError>,
}

async fn list_view(
    st: &AppState,
    a: &Auth,
    form: ServiceInput,
    errors: Vec<FieldError>,
    done: Option<&str>,
) -> PageResult {
    let today = crate::time::today_jst().format("%Y-%m-%d").to_string();
    let contracts = contract_opts(st, a, form.contract_id.as_deref()).await?;
    Ok(render_status(
        status_of(&errors, false),
        &ListPage {
            page: Page::for_auth("努力義務事業", a).notice(notice(done)),
            services: store::list_services(&st.db, &a.ctx).await.page_err(a)?,
            upcoming: store::upcoming_events(&st.db, &a.ctx, &today, 12)
                .await
                .page_err(a)?,
            kinds: kind_opts(&form.kind),
            contracts,
            form,
            can_manage: policy::can(&a.ctx, Action::ManageServices),
            contractor: a.ctx.role == Role::Contractor,
            errors,
        },
    ))
}

async fn list_page(State(st): State<AppState>, a: Auth, Query(q): Query<Q>) -> PageResult {
    let form = ServiceInput {
        active: true,
        ..Default::default()
    };
    list_view(&st, &a, form, vec![], q.done.as_deref()).await
}

async fn service_create(State(st): State<AppState>, a: Auth, body: Bytes) -> PageResult {
    let p = pairs(&body);
    let s = service_input(&p);
    match store::create_service(&st.db, &a.ctx, &s).await {
        Ok(id) => Ok(Redirect::to(&format!("/services/{id}?done=service")).into_response()),
        Err(AppError::Validation(e)) => list_view(&st, &a, s, e, None).await,
        Err(e) => Err(e).page_err(&a),
    }
}

// ---------------------------------------------------------------- one service

#[derive(Template)]
#[template(path = "services/show.html")]
struct ServicePage {
    page: Page,
    s: Service,
    form: ServiceInput,
    upcoming: Vec<Event>,
    past: Vec<Event>,
    kinds: Vec<Opt>,
    contracts: Vec<Opt>,
    event: EventInput,
    can_manage: bool,
    can_contracts: bool,
    errors: Vec<FieldError>,
    /// Which form the errors belong to: "service" or "event".
    error_form: &'static str,
}

#[allow(clippy::too_many_arguments)]
async fn service_view(
    st: &AppState,
    a: &Auth,
    id: &str,
    form: Option<ServiceInput>,
    event: Option<EventInput>,
    errors: Vec<FieldError>,
    error_form: &'static str,
    conflict: bool,
    done: Option<&str>,
) -> PageResult {
    let s = store::get_service(&st.db, &a.ctx, id).await.page_err(a)?;
    let events = store::list_events(&st.db, &a.ctx, id).await.page_err(a)?;
    let (mut past, upcoming): (Vec<Event>, Vec<Event>) = events.into_iter().partition(|e| e.past);
    past.reverse();
    let form = form.unwrap_or_else(|| s.input.clone());
    let contracts = contract_opts(st, a, form.contract_id.as_deref()).await?;
    let event = event.unwrap_or_else(|| EventInput {
        start_time: "10:00".into(),
        end_time: "12:00".into(),
        capacity: 10,
        ..Default::default()
    });
    Ok(render_status(
        status_of(&errors, conflict),
        &ServicePage {
            page: Page::for_auth(s.input.name.clone(), a).notice(notice(done)),
            kinds: kind_opts(&form.kind),
            contracts,
            form,
            upcoming,
            past,
            event,
            can_manage: policy::can(&a.ctx, Action::ManageServices),
            can_contracts: policy::can(&a.ctx, Action::ManageContracts),
            errors,
            error_form,
            s,
        },
    ))
}

async fn service_page(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Query(q): Query<Q>,
) -> PageResult {
    service_view(
        &st,
        &a,
        &id,
        None,
        None,
        vec![],
        "",
        false,
        q.done.as_deref(),
    )
    .await
}

async fn service_update(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    let p = pairs(&body);
    let s = service_input(&p);
    let patch = ServicePatch {
        kind: Some(s.kind.clone()),
        name: Some(s.name.clone()),
        description: Some(s.description.clone()),
        target: Some(s.target.clone()),
        // Only the administrator's form has the contract select.
        contract_id: p
            .iter()
            .any(|(k, _)| k == "contract_id")
            .then(|| one(&p, "contract_id")),
        active: Some(checked(&p, "active")),
    };
    match store::update_service(&st.db, &a.ctx, &id, &patch).await {
        Ok(()) => Ok(Redirect::to(&format!("/services/{id}?done=updated")).into_response()),
        Err(AppError::Validation(e)) => {
            service_view(&st, &a, &id, Some(s), None, e, "service", false, None).await
        }
        Err(e) => Err(e).page_err(&a),
    }
}

async fn event_create(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    let p = pairs(&body);
    let e = event_input(&p);
    match store::create_event(&st.db, &a.ctx, &id, &e).await {
        Ok(eid) => Ok(Redirect::to(&format!("/services/events/{eid}?done=event")).into_response()),
        Err(AppError::Validation(errs)) => {
            service_view(&st, &a, &id, None, Some(e), errs, "event", false, None).await
        }
        Err(AppError::Conflict(m)) => {
            let errs = vec![FieldError::new("event", m)];
            service_view(&st, &a, &id, None, Some(e), errs, "event", true, None).await
        }
        Err(e) => Err(e).page_err(&a),
    }
}

// ---------------------------------------------------------------- one event

pub struct ParticipantRow {
    pub p: Participant,
    /// Other statuses offered as buttons: (key, label).
    pub actions: Vec<(&'static str, &'static str)>,
}

#[derive(Template)]
#[template(path = "services/event.html")]
struct EventPage {
    page: Page,
    e: Event,
    participants: Vec<ParticipantRow>,
    can_see_children: bool,
    can_register: bool,
    can_manage: bool,
    q: String,
    candidates: Vec<Candidate>,
    form: EventInput,
    errors: Vec<FieldError>,
    error_form: &'static str,
}

#[allow(clippy::too_many_arguments)]
async fn event_view(
    st: &AppState,
    a: &Auth,
    id: &str,
    q: &str,
    form: Option<EventInput>,
    errors: Vec<FieldError>,
    error_form: &'static str,
    conflict: bool,
    done: Option<&str>,
) -> PageResult {
    let d = store::get_event(&st.db, &a.ctx, id).await.page_err(a)?;
    let can_register =
        policy::can(&a.ctx, Action::ManageServices) && policy::can(&a.ctx, Action::ManageChildren);
    let candidates = if can_register {
        store::candidates(&st.db, &a.ctx, q).await.page_err(a)?
    } else {
        vec![]
    };
    let form = form.unwrap_or_else(|| EventInput {
        title: d.event.title.clone(),
        date: d.event.date.clone(),
        start_time: d.event.start_time.clone(),
        end_time: d.event.end_time.clone(),
        place: d.event.place.clone(),
        capacity: d.event.capacity,
        notes: d.event.notes.clone(),
    });
    let participants = d
        .participants
        .into_iter()
        .map(|p| ParticipantRow {
            actions: model::STATUSES
                .iter()
                .filter(|(k, _)| *k != p.status)
                .map(|(k, l)| (*k, *l))
                .collect(),
            p,
        })
        .collect();
    Ok(render_status(
        status_of(&errors, conflict),
        &EventPage {
            page: Page::for_auth(format!("{} {}", d.event.title, d.event.date_label), a)
                .notice(notice(done)),
            e: d.event,
            participants,
            can_see_children: policy::can(&a.ctx, Action::ViewChildren),
            can_register,
            can_manage: policy::can(&a.ctx, Action::ManageServices),
            q: q.to_string(),
            candidates,
            form,
            errors,
            error_form,
        },
    ))
}

async fn event_page(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Query(q): Query<Q>,
) -> PageResult {
    event_view(
        &st,
        &a,
        &id,
        q.q.as_deref().unwrap_or(""),
        None,
        vec![],
        "",
        false,
        q.done.as_deref(),
    )
    .await
}

async fn event_update(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    let p = pairs(&body);
    let e = event_input(&p);
    match store::update_event(&st.db, &a.ctx, &id, &e).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/services/events/{id}?done=event_updated")).into_response())
        }
        Err(AppError::Validation(errs)) => {
            event_view(&st, &a, &id, "", Some(e), errs, "event", false, None).await
        }
        Err(e) => Err(e).page_err(&a),
    }
}

async fn participant_add(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    let p = pairs(&body);
    let r = store::RegisterInput {
        child_id: one(&p, "child_id"),
        child: checked(&p, "child"),
        siblings: false,
        guardians: false,
        family_member_ids: many(&p, "family_member_ids"),
        note: one(&p, "note"),
    };
    let q = one(&p, "q");
    match store::register(&st.db, &a.ctx, &id, &r).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/services/events/{id}?done=registered#participants"
        ))
        .into_response()),
        Err(AppError::Validation(errs)) => {
            event_view(&st, &a, &id, &q, None, errs, "register", false, None).await
        }
        Err(AppError::Conflict(m)) => {
            let errs = vec![FieldError::new("register", m)];
            event_view(&st, &a, &id, &q, None, errs, "register", true, None).await
        }
        Err(e) => Err(e).page_err(&a),
    }
}

async fn participant_status(
    State(st): State<AppState>,
    a: Auth,
    Path(pid): Path<String>,
    body: Bytes,
) -> PageResult {
    let p = pairs(&body);
    let event = one(&p, "event_id");
    store::set_status(&st.db, &a.ctx, &pid, &one(&p, "status"))
        .await
        .page_err(&a)?;
    Ok(Redirect::to(&format!(
        "/services/events/{}?done=status#participants",
        crate::web::pages::urlencode(&event)
    ))
    .into_response())
}

async fn participant_cancel(
    State(st): State<AppState>,
    a: Auth,
    Path(pid): Path<String>,
) -> PageResult {
    let event = store::cancel(&st.db, &a.ctx, &pid).await.page_err(&a)?;
    Ok(Redirect::to(&format!(
        "/services/events/{event}?done=cancelled#participants"
    ))
    .into_response())
}
