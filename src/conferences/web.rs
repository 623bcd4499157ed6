//! Pages of case conferences: plan one from the child's record, the conference page
//! (participants with their consent, the shared items of the record, attendance,
//! minutes, decisions, outcomes, 「支援計画に反映」) and its A4 print.

use askama::Template;
use std::collections::BTreeMap;

use axum::extract::{Path, State};
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
use crate::network::model::Segment;
use crate::network::web::{seg_rows, AgendaRow, SegRow};
use crate::web::form::{Form, Opt, Query};
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

/// A checkbox's value: ticked when it is 1, on or true.
fn on(value: &Option<String>) -> bool {
    matches!(value.as_deref(), Some("1" | "on" | "true"))
}

// ---------------------------------------------------------------- plan a conference

/// The planning form: the meeting's date, time, length, place and purpose, and the
/// agenda rows `seg_start_{i}`, `seg_minutes_{i}`, `seg_title_{i}`, `seg_presenter_{i}`
/// (i from 0 to 19, as the form numbers them).
#[derive(Deserialize, Default)]
#[serde(default)]
struct PlanForm {
    title: String,
    date: String,
    time: String,
    duration_minutes: String,
    place: String,
    online: Option<String>,
    purpose: String,
    /// The agenda rows (and whatever else was sent, such as the CSRF token).
    #[serde(flatten)]
    rest: BTreeMap<String, String>,
}

impl PlanForm {
    /// The conference as typed, with the messages for agenda rows that cannot be read
    /// (a row with nothing in it is left out).
    fn input(&self) -> (ConferenceInput, Vec<FieldError>) {
        let field = |name: String| self.rest.get(&name).cloned().unwrap_or_default();
        let mut errs = vec![];
        let mut agenda = vec![];
        for i in 0..20 {
            let start = field(format!("seg_start_{i}"));
            let minutes = field(format!("seg_minutes_{i}"));
            let title = field(format!("seg_title_{i}"));
            if start.trim().is_empty() && minutes.trim().is_empty() && title.trim().is_empty() {
                continue;
            }
            let offset = crate::network::model::parse_hm(&start);
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
                presenter: field(format!("seg_presenter_{i}")),
            });
        }
        let c = ConferenceInput {
            title: self.title.clone(),
            date: self.date.clone(),
            time: self.time.clone(),
            duration_minutes: crate::text::nfkc(self.duration_minutes.trim())
                .parse()
                .unwrap_or(0),
            place: self.place.clone(),
            online: on(&self.online),
            agenda: Some(agenda),
            purpose: self.purpose.clone(),
            participants: vec![],
        };
        (c, errs)
    }
}

/// One participant added on the conference page (staff, family or an agency).
#[derive(Deserialize, Default)]
#[serde(default)]
struct ParticipantForm {
    kind: String,
    /// Empty (the select left unchosen) reads as none.
    user_id: Option<String>,
    agency_id: Option<String>,
    name: String,
}

impl From<ParticipantForm> for ParticipantInput {
    fn from(f: ParticipantForm) -> ParticipantInput {
        ParticipantInput {
            kind: f.kind,
            user_id: f.user_id,
            agency_id: f.agency_id,
            name: f.name,
        }
    }
}

/// Attendance (the participants ticked), minutes and decisions.
#[derive(Deserialize, Default)]
#[serde(default)]
struct RecordForm {
    attended: Vec<String>,
    minutes: String,
    decisions: String,
}

impl From<RecordForm> for ConferenceRecord {
    fn from(f: RecordForm) -> ConferenceRecord {
        ConferenceRecord {
            attended: Some(f.attended),
            minutes: Some(f.minutes),
            decisions: Some(f.decisions),
        }
    }
}

/// An outcome: what to do, who, by when.
#[derive(Deserialize, Default)]
#[serde(default)]
struct OutcomeForm {
    description: String,
    owner: String,
    due_date: String,
}

impl From<OutcomeForm> for OutcomeInput {
    fn from(f: OutcomeForm) -> OutcomeInput {
        OutcomeInput {
            description: f.description,
            owner: f.owner,
            due_date: f.due_date,
        }
    }
}

/// An outcome done, or open again (`status=open`).
#[derive(Deserialize, Default)]
#[serde(default)]
struct OutcomeStatusForm {
    status: String,
}

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
    Form(f): Form<PlanForm>,
) -> PageResult {
    let (c, form_errs) = f.input();
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
        let t = a.ctx.tenant().page_err(a)?;
        let ix = crate::agencies::search::index(&st.db, t)
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
    Form(f): Form<RecordForm>,
) -> PageResult {
    let rec = ConferenceRecord::from(f);
    let res = store::record(&st.db, &a.ctx, &id, &rec)
        .await
        .map(|_| "done=record".to_string());
    after(&st, &a, &id, res, "#record").await
}

async fn participant_add(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Form(f): Form<ParticipantForm>,
) -> PageResult {
    let input = ParticipantInput::from(f);
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
    Form(f): Form<OutcomeForm>,
) -> PageResult {
    let o = OutcomeInput::from(f);
    let res = store::add_outcome(&st.db, &a.ctx, &id, &o)
        .await
        .map(|_| "done=outcome".to_string());
    after(&st, &a, &id, res, "#outcomes").await
}

async fn outcome_done(
    State(st): State<AppState>,
    a: Auth,
    Path((id, oid)): Path<(String, String)>,
    Form(f): Form<OutcomeStatusForm>,
) -> PageResult {
    let res = store::set_outcome_done(&st.db, &a.ctx, &id, &oid, f.status != "open")
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

#[cfg(test)]
mod tests {
    use super::*;

    fn form<T: serde::de::DeserializeOwned>(body: &str) -> T {
        serde_html_form::from_str(body).expect("form")
    }

    #[test]
    fn plan_form_reads_the_numbered_agenda_rows() {
        let f: PlanForm = form(
            "_csrf=x&title=%E4%BC%9A%E8%AD%B0&date=2026-02-10&time=16%3A00&duration_minutes=%EF%BC%96%EF%BC%90\
             &place=p&online=1&purpose=why\
             &seg_start_0=0%3A00&seg_minutes_0=10&seg_title_0=a&seg_presenter_0=A\
             &seg_start_1=&seg_minutes_1=&seg_title_1=&seg_presenter_1=\
             &seg_start_2=x&seg_minutes_2=5&seg_title_2=c",
        );
        let (c, errs) = f.input();
        assert_eq!(c.title, "会議");
        assert_eq!(c.duration_minutes, 60);
        assert!(c.online);
        assert_eq!(c.purpose, "why");
        let agenda = c.agenda.expect("agenda");
        assert_eq!(agenda.len(), 2, "the empty row is left out");
        assert_eq!(
            (
                agenda[0].offset,
                agenda[0].minutes,
                agenda[0].title.as_str()
            ),
            (0, 10, "a")
        );
        assert_eq!(agenda[0].presenter, "A");
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(errs[0].message.contains("議題 3"), "{errs:?}");
        let (plain, errs) = form::<PlanForm>("title=t&duration_minutes=x").input();
        assert!(!plain.online && errs.is_empty());
        assert_eq!(plain.duration_minutes, 0);
        assert_eq!(plain.agenda.map(|a| a.len()), Some(0));
    }

    #[test]
    fn record_form_reads_every_ticked_participant() {
        let r = ConferenceRecord::from(form::<RecordForm>(
            "attended=p1&attended=p2&minutes=m&decisions=",
        ));
        assert_eq!(
            r.attended.as_deref(),
            Some(&["p1".to_string(), "p2".to_string()][..])
        );
        assert_eq!(r.minutes.as_deref(), Some("m"));
        assert_eq!(r.decisions.as_deref(), Some(""));
        let none = ConferenceRecord::from(form::<RecordForm>("minutes=m"));
        assert_eq!(none.attended, Some(vec![]));
    }

    #[test]
    fn participant_form_reads_an_unchosen_select_as_none() {
        let p = ParticipantInput::from(form::<ParticipantForm>(
            "kind=staff&user_id=&agency_id=a1&name=",
        ));
        assert_eq!(p.kind, "staff");
        assert_eq!(p.user_id, None);
        assert_eq!(p.agency_id.as_deref(), Some("a1"));
    }

    #[test]
    fn plan_form_refuses_a_repeated_name() {
        // The form sends each name once; a body that repeats one is refused as a
        // whole (Form answers with the 400 page) rather than read in part.
        for body in ["title=a&title=b", "seg_title_0=x&seg_title_0=y"] {
            assert!(
                serde_html_form::from_str::<PlanForm>(body).is_err(),
                "{body}"
            );
        }
    }
}
