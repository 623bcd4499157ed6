//! Pages of the optional services: the list with upcoming events, one service with its
//! events, one event with its participants (search a child, register the child and
//! family, mark use or absence, cancel).

use askama::Template;
use axum::extract::{Path, State};
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
use crate::web::form::{Form, Opt, Query};
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

/// A checkbox's values: ticked when one of them is 1, on or true.
fn on(values: &[String]) -> bool {
    values.iter().any(|v| v == "1" || v == "on" || v == "true")
}

/// The service form (new on the list page, edit on the service page).
#[derive(Deserialize, Default)]
#[serde(default)]
struct ServiceForm {
    kind: String,
    name: String,
    description: String,
    target: String,
    /// A list, to tell a form without the select (contractor staff: not sent) from
    /// 直営 (sent empty).
    contract_id: Vec<String>,
    /// A list, to tell a form without the checkbox (new: 受付中) from one unticked.
    active: Vec<String>,
}

impl ServiceForm {
    fn contract(&self) -> Option<&String> {
        self.contract_id.first()
    }

    /// What was typed, as a new service (also shown again with the messages).
    fn input(&self) -> ServiceInput {
        ServiceInput {
            kind: self.kind.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            target: self.target.clone(),
            contract_id: self.contract().filter(|s| !s.is_empty()).cloned(),
            active: self.active.is_empty() || on(&self.active),
        }
    }

    /// The change of an existing service: the contract only when the form had the
    /// select (the administrator's), 受付中 as ticked.
    fn patch(&self) -> ServicePatch {
        ServicePatch {
            kind: Some(self.kind.clone()),
            name: Some(self.name.clone()),
            description: Some(self.description.clone()),
            target: Some(self.target.clone()),
            contract_id: self.contract().cloned(),
            active: Some(on(&self.active)),
        }
    }
}

/// An event (回) of a service, new or changed.
#[derive(Deserialize, Default)]
#[serde(default)]
struct EventForm {
    title: String,
    date: String,
    start_time: String,
    end_time: String,
    place: String,
    /// 定員 as typed (全角 digits too); anything but a number is refused by the store.
    capacity: String,
    notes: String,
}

impl From<EventForm> for EventInput {
    fn from(f: EventForm) -> EventInput {
        EventInput {
            capacity: crate::text::nfkc(f.capacity.trim()).parse().unwrap_or(-1),
            title: f.title,
            date: f.date,
            start_time: f.start_time,
            end_time: f.end_time,
            place: f.place,
            notes: f.notes,
        }
    }
}

/// Registering a child found on the event page: the child (本人) and/or family members.
#[derive(Deserialize, Default)]
#[serde(default)]
struct RegisterForm {
    child_id: String,
    child: Vec<String>,
    family_member_ids: Vec<String>,
    note: String,
    /// The search the child was found with (kept for showing the page again).
    q: String,
}

impl RegisterForm {
    fn input(&self) -> store::RegisterInput {
        store::RegisterInput {
            child_id: self.child_id.clone(),
            child: on(&self.child),
            siblings: false,
            guardians: false,
            family_member_ids: self.family_member_ids.clone(),
            note: self.note.clone(),
        }
    }
}

/// 利用・欠席・予約 of one participant, from the event page.
#[derive(Deserialize, Default)]
#[serde(default)]
struct StatusForm {
    event_id: String,
    status: String,
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

async fn service_create(
    State(st): State<AppState>,
    a: Auth,
    Form(f): Form<ServiceForm>,
) -> PageResult {
    let s = f.input();
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
    Form(f): Form<ServiceForm>,
) -> PageResult {
    let s = f.input();
    let patch = f.patch();
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
    Form(f): Form<EventForm>,
) -> PageResult {
    let e = EventInput::from(f);
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
    Form(f): Form<EventForm>,
) -> PageResult {
    let e = EventInput::from(f);
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
    Form(f): Form<RegisterForm>,
) -> PageResult {
    let r = f.input();
    let q = f.q;
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
    Form(f): Form<StatusForm>,
) -> PageResult {
    let event = f.event_id;
    store::set_status(&st.db, &a.ctx, &pid, &f.status)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn form<T: serde::de::DeserializeOwned>(body: &str) -> T {
        serde_html_form::from_str(body).expect("form")
    }

    #[test]
    fn service_form_tells_a_missing_select_from_an_empty_one() {
        let admin: ServiceForm = form("_csrf=x&kind=respite&name=A&contract_id=&active=1");
        assert_eq!(admin.patch().contract_id.as_deref(), Some(""));
        assert_eq!(admin.input().contract_id, None);
        assert_eq!(admin.patch().active, Some(true));
        let contractor: ServiceForm = form("kind=respite&name=A");
        assert_eq!(contractor.patch().contract_id, None);
        assert_eq!(contractor.patch().active, Some(false));
        assert!(
            contractor.input().active,
            "a new service without the checkbox is open"
        );
        let c: ServiceForm = form("contract_id=c1&active=0");
        assert_eq!(c.input().contract_id.as_deref(), Some("c1"));
        assert!(!c.input().active);
    }

    #[test]
    fn register_form_reads_repeated_family_members() {
        let f: RegisterForm =
            form("child_id=k&child=1&family_member_ids=f1&family_member_ids=f2&note=n&q=%E5%A4%AA");
        let r = f.input();
        assert!(r.child);
        assert_eq!(r.family_member_ids, ["f1", "f2"]);
        assert_eq!(f.q, "太");
        let none: RegisterForm = form("child_id=k");
        assert!(!none.input().child);
        assert!(none.input().family_member_ids.is_empty());
    }

    #[test]
    fn event_capacity_as_typed() {
        let e = EventInput::from(form::<EventForm>("capacity=%EF%BC%91%EF%BC%92&title=t"));
        assert_eq!(e.capacity, 12);
        assert_eq!(
            EventInput::from(form::<EventForm>("capacity=abc")).capacity,
            -1
        );
        assert_eq!(EventInput::from(form::<EventForm>("")).capacity, -1);
    }
}
