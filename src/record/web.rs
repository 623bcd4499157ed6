//! A child's record page and the forms posted from it (consultations, consents, referrals,
//! follow-ups, handover, indicators).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::store::{record_page, RecordPage};
use super::timeline::TimelineItem;
use crate::auth::{policy, Action};
use crate::cases::model;
use crate::cases::store::{
    self, Child, ConsentInput, ConsultationInput, Due, Referral, ReferralInput,
};
use crate::cases::web::{notice, opts, plain_opts, wareki, Done};
use crate::error::FieldError;
use crate::web::download::svg;
use crate::web::form::Form;
use crate::web::form::Opt;
use crate::web::pages::{render, render_status, Auth, Page, PageResult, WithCtx};
use crate::web::AppState;
use crate::{time, AppError};

pub struct ConsentView {
    pub c: store::Consent,
    pub items: String,
    pub period: String,
}

pub struct TimelineView {
    pub at: String,
    pub kind_label: &'static str,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub by: String,
}

#[derive(Template)]
#[template(path = "cases/show.html")]
struct ShowPage {
    page: Page,
    c: Child,
    birth_wareki: String,
    cert_to_wareki: String,
    disease_group: String,
    sex: String,
    duplicates: Vec<(String, String)>,
    consents: Vec<ConsentView>,
    timeline: Vec<TimelineView>,
    referrals: Vec<Referral>,
    /// 努力義務事業 used or booked by the child and the family.
    services: Vec<crate::services::store::ChildUse>,
    /// ケース会議, newest first.
    conferences: Vec<crate::conferences::store::ConferenceSummary>,
    due: Vec<Due>,
    /// The registry's choice list (agencies::search::TenantIndex::choices).
    agencies: std::sync::Arc<Vec<(String, String)>>,
    staff: Vec<Opt>,
    methods: Vec<Opt>,
    kinds: Vec<Opt>,
    participants: Vec<Opt>,
    topics: Vec<Opt>,
    consent_items: Vec<Opt>,
    follow_kinds: Vec<Opt>,
    indicator_kinds: Vec<Opt>,
    has_indicators: Vec<(String, String)>,
    can_manage: bool,
    /// The tenant admin sees where a closed case's retention and erasure are handled.
    can_privacy: bool,
    today: String,
    now_time: String,
    errors: Vec<FieldError>,
}

fn kind_label(k: &str) -> &'static str {
    match k {
        "consultation" => "相談",
        "plan" => "計画",
        "referral" => "つなぐ支援",
        "follow_up" => "フォローアップ",
        "consent" => "同意",
        "handover" => "引き継ぎ",
        "indicator" => "指標",
        "service" => "努力義務事業",
        "conference" => "ケース会議",
        _ => "記録",
    }
}

async fn show_page(
    st: &AppState,
    a: &Auth,
    id: &str,
    dup: Option<&str>,
    notice_text: Option<String>,
    errors: Vec<FieldError>,
) -> Result<ShowPage, crate::web::pages::PageError> {
    let RecordPage {
        child: c,
        timeline,
        referrals,
        due,
        indicators: inds,
        staff,
        services,
        conferences,
    } = record_page(&st.db, &a.ctx, id, 200, 120)
        .await
        .page_err(a)?;
    let can_manage = policy::can(&a.ctx, Action::ManageChildren);
    let t = a.ctx.tenant().page_err(a)?.to_string();
    let agencies = if can_manage {
        crate::agencies::search::index(&st.db, &t)
            .await
            .page_err(a)?
            .choices()
    } else {
        Default::default()
    };
    let staff = staff
        .into_iter()
        .map(|(v, l)| Opt {
            value: v,
            label: l,
            selected: false,
        })
        .collect();
    // Shown right after registration when someone with the same reading and birth date exists.
    let duplicates = if dup.is_some_and(|d| !d.is_empty()) {
        store::possible_duplicates(
            &st.db,
            &a.ctx,
            &c.input.reading,
            &c.input.birth_date,
            Some(id),
        )
        .await
        .page_err(a)?
    } else {
        vec![]
    };
    let has_indicators = model::INDICATOR_KINDS
        .iter()
        .filter(|(k, _, _)| inds.iter().any(|i| i.kind == *k))
        .map(|(k, l, _)| (k.to_string(), l.to_string()))
        .collect();
    let now = time::now().with_timezone(&time::jst());
    Ok(ShowPage {
        page: Page::for_auth(c.input.name.clone(), a).notice(notice_text),
        birth_wareki: wareki(&c.input.birth_date),
        cert_to_wareki: wareki(&c.input.certificate_to),
        disease_group: crate::agencies::model::disease_group_label(c.input.disease_group)
            .to_string(),
        sex: model::sex_label(&c.input.sex).to_string(),
        duplicates,
        consents: c
            .consents
            .iter()
            .cloned()
            .map(|x| ConsentView {
                items: x
                    .items
                    .iter()
                    .map(|i| model::consent_item_label(i))
                    .collect::<Vec<_>>()
                    .join("、"),
                period: format!(
                    "{}〜{}",
                    wareki(&x.valid_from),
                    x.valid_to
                        .as_deref()
                        .map(wareki)
                        .unwrap_or_else(|| "期限なし".into())
                ),
                c: x,
            })
            .collect(),
        timeline: timeline
            .into_iter()
            .map(|t: TimelineItem| TimelineView {
                at: time::format_datetime(&t.at),
                kind_label: kind_label(&t.kind),
                kind: t.kind,
                title: t.title,
                body: t.body,
                by: t.by,
            })
            .collect(),
        referrals,
        services,
        conferences,
        due,
        agencies,
        staff,
        methods: plain_opts(&model::METHODS, &["電話".to_string()]),
        kinds: plain_opts(&model::KINDS, &["療育相談指導".to_string()]),
        participants: plain_opts(&model::PARTICIPANTS, &[]),
        topics: plain_opts(&model::TOPICS, &[]),
        consent_items: opts(&model::CONSENT_ITEMS, ""),
        follow_kinds: opts(&model::FOLLOW_UP_KINDS, "recontact"),
        indicator_kinds: model::INDICATOR_KINDS
            .iter()
            .map(|(k, l, _)| Opt {
                value: k.to_string(),
                label: l.to_string(),
                selected: false,
            })
            .collect(),
        has_indicators,
        can_manage,
        can_privacy: policy::can(&a.ctx, Action::AdministerPrivacy),
        today: time::today_jst().format("%Y-%m-%d").to_string(),
        now_time: now.format("%H:%M").to_string(),
        errors,
        c,
    })
}

pub(crate) async fn show(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> PageResult {
    let p = show_page(
        &st,
        &a,
        &id,
        d.dup.as_deref(),
        notice(d.done.as_deref()),
        vec![],
    )
    .await?;
    Ok(render(&p))
}

// ---------------------------------------------------------------- the forms

/// The quick consultation form: what was typed, as strings (the store validates it).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct ConsultationForm {
    date: String,
    time: String,
    method: String,
    kind: String,
    participants: Vec<String>,
    topics: Vec<String>,
    minutes: String,
    destination: String,
    notes: String,
    next_action: String,
    follow_up_date: String,
}

impl ConsultationForm {
    fn input(self) -> ConsultationInput {
        ConsultationInput {
            // Minutes that are not a number are left out, as an empty field is.
            minutes: self.minutes.trim().parse().ok(),
            date: self.date,
            time: self.time,
            method: self.method,
            kind: self.kind,
            participants: self.participants,
            topics: self.topics,
            destination: self.destination,
            notes: self.notes,
            next_action: self.next_action,
            follow_up_date: self.follow_up_date,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct ConsentForm {
    agency_id: String,
    purpose: String,
    items: Vec<String>,
    valid_from: String,
    valid_to: String,
    method: String,
    given_by: String,
}

impl ConsentForm {
    fn input(self) -> ConsentInput {
        ConsentInput {
            agency_id: self.agency_id,
            purpose: self.purpose,
            items: self.items,
            valid_from: self.valid_from,
            valid_to: self.valid_to,
            method: self.method,
            given_by: self.given_by,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct RevokeForm {
    reason: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct ReferralForm {
    agency_id: String,
    purpose: String,
    items: Vec<String>,
    message: String,
}

impl ReferralForm {
    fn input(self) -> ReferralInput {
        ReferralInput {
            agency_id: self.agency_id,
            purpose: self.purpose,
            items: self.items,
            message: self.message,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct FollowUpForm {
    kind: String,
    due_date: String,
    note: String,
}

/// 完了にする: `back` is /follow-ups when it was pressed on the follow-up list.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct DoneForm {
    back: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct HandoverForm {
    to_user: String,
    note: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct IndicatorForm {
    kind: String,
    period: String,
    value: String,
    note: String,
}

/// A failed action on the record page: the page again, with the messages.
async fn show_with_errors(st: &AppState, a: &Auth, id: &str, errs: Vec<FieldError>) -> PageResult {
    let p = show_page(st, a, id, None, None, errs).await?;
    Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &p))
}

fn back(id: &str, done: &str, anchor: &str) -> PageResult {
    Ok(Redirect::to(&format!("/children/{id}?done={done}{anchor}")).into_response())
}

pub(crate) async fn add_consultation(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Form(f): Form<ConsultationForm>,
) -> PageResult {
    match store::add_consultation(&st.db, &a.ctx, &id, &f.input()).await {
        Ok(_) => back(&id, "consultation", "#timeline"),
        Err(AppError::Validation(e)) => show_with_errors(&st, &a, &id, e).await,
        Err(e) => Err(e).page_err(&a),
    }
}

pub(crate) async fn add_consent(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Form(f): Form<ConsentForm>,
) -> PageResult {
    match store::add_consent(&st.db, &a.ctx, &id, &f.input()).await {
        Ok(_) => back(&id, "consent", "#consents"),
        Err(AppError::Validation(e)) => show_with_errors(&st, &a, &id, e).await,
        Err(e) => Err(e).page_err(&a),
    }
}

pub(crate) async fn revoke_consent(
    State(st): State<AppState>,
    a: Auth,
    Path((id, cid)): Path<(String, String)>,
    Form(f): Form<RevokeForm>,
) -> PageResult {
    match store::revoke_consent(&st.db, &a.ctx, &id, &cid, &f.reason).await {
        Ok(()) => back(&id, "revoked", "#consents"),
        Err(AppError::Validation(e)) => show_with_errors(&st, &a, &id, e).await,
        Err(e) => Err(e).page_err(&a),
    }
}

pub(crate) async fn create_referral(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Form(f): Form<ReferralForm>,
) -> PageResult {
    match store::create_referral(&st.db, &a.ctx, &id, &f.input()).await {
        Ok(_) => back(&id, "referral", "#referrals"),
        Err(AppError::Validation(e)) => show_with_errors(&st, &a, &id, e).await,
        Err(e) => Err(e).page_err(&a),
    }
}

pub(crate) async fn add_follow_up(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Form(f): Form<FollowUpForm>,
) -> PageResult {
    match store::add_follow_up(&st.db, &a.ctx, &id, &f.kind, &f.due_date, &f.note).await {
        Ok(_) => back(&id, "follow_up", "#due"),
        Err(AppError::Validation(e)) => show_with_errors(&st, &a, &id, e).await,
        Err(e) => Err(e).page_err(&a),
    }
}

pub(crate) async fn follow_up_done(
    State(st): State<AppState>,
    a: Auth,
    Path((id, fid)): Path<(String, String)>,
    Form(f): Form<DoneForm>,
) -> PageResult {
    store::complete_follow_up(&st.db, &a.ctx, &id, &fid)
        .await
        .page_err(&a)?;
    if f.back == "/follow-ups" {
        return Ok(Redirect::to("/follow-ups?done=done").into_response());
    }
    back(&id, "done", "#due")
}

pub(crate) async fn handover(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Form(f): Form<HandoverForm>,
) -> PageResult {
    match store::handover(&st.db, &a.ctx, &id, &f.to_user, &f.note).await {
        Ok(()) => back(&id, "handover", ""),
        Err(AppError::Validation(e)) => show_with_errors(&st, &a, &id, e).await,
        Err(e) => Err(e).page_err(&a),
    }
}

pub(crate) async fn add_indicator(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Form(f): Form<IndicatorForm>,
) -> PageResult {
    let value: Result<i64, _> = crate::text::nfkc(f.value.trim()).parse();
    let res = match value {
        Ok(v) => store::add_indicator(&st.db, &a.ctx, &id, &f.kind, &f.period, v, &f.note).await,
        Err(_) => Err(AppError::invalid("value", "値は数字で入力してください。")),
    };
    match res {
        Ok(()) => back(&id, "indicator", "#indicators"),
        Err(AppError::Validation(e)) => show_with_errors(&st, &a, &id, e).await,
        Err(e) => Err(e).page_err(&a),
    }
}

pub(crate) async fn indicator_svg(
    State(st): State<AppState>,
    a: Auth,
    Path((id, kind)): Path<(String, String)>,
) -> PageResult {
    let (_, label, unit) = model::INDICATOR_KINDS
        .iter()
        .find(|(k, _, _)| *k == kind)
        .ok_or(AppError::NotFound)
        .page_err(&a)?;
    let points: Vec<crate::cases::chart::Point> = store::indicators(&st.db, &a.ctx, &id)
        .await
        .page_err(&a)?
        .into_iter()
        .filter(|i| i.kind == kind)
        .map(|i| crate::cases::chart::Point {
            label: i.period,
            value: i.value as f64,
        })
        .collect();
    let y_max = if kind == "family_burden" {
        Some(5.0)
    } else {
        None
    };
    Ok(svg(crate::cases::chart::line_chart(
        label, unit, &points, 0.0, y_max,
    )))
}
