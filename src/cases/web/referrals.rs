//! Referral pages: the list, one referral, and changing its status.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::notice;
use crate::auth::Role;
use crate::cases::model;
use crate::cases::store::{self, Referral, ReferralDetail};
use crate::error::FieldError;
use crate::web::form::Form;
use crate::web::form::Opt;
use crate::web::pages::{render, render_status, Auth, Page, PageResult, WithCtx};
use crate::web::AppState;
use crate::{time, AppError};

#[derive(Template)]
#[template(path = "cases/referrals.html")]
struct ReferralsPage {
    page: Page,
    items: Vec<Referral>,
    statuses: Vec<Opt>,
    partner: bool,
}

#[derive(Deserialize, Default)]
pub(super) struct StatusQuery {
    #[serde(default)]
    status: String,
    done: Option<String>,
}

pub(super) async fn referrals_page(
    State(st): State<AppState>,
    a: Auth,
    Query(q): Query<StatusQuery>,
) -> PageResult {
    let status = if q.status.is_empty() {
        "open".to_string()
    } else {
        q.status.clone()
    };
    let items = store::list_referrals(
        &st.db,
        &a.ctx,
        Some(if status == "all" { "" } else { &status }),
        None,
    )
    .await
    .page_err(&a)?;
    let mut statuses = vec![Opt {
        value: "open".into(),
        label: "対応中のもの（送付済・受付・対応中）".into(),
        selected: status == "open",
    }];
    statuses.extend(model::REFERRAL_STATUSES.iter().map(|(k, l)| Opt {
        value: k.to_string(),
        label: l.to_string(),
        selected: status == *k,
    }));
    statuses.push(Opt {
        value: "all".into(),
        label: "すべて".into(),
        selected: status == "all",
    });
    Ok(render(&ReferralsPage {
        page: Page::for_auth("つなぐ支援", &a).notice(notice(q.done.as_deref())),
        items,
        statuses,
        partner: a.ctx.role == Role::Partner,
    }))
}

pub struct EventView {
    pub at: String,
    pub actor: String,
    pub from: &'static str,
    pub to: &'static str,
    pub note: String,
}

#[derive(Template)]
#[template(path = "cases/referral.html")]
struct ReferralPage {
    page: Page,
    r: ReferralDetail,
    items: String,
    events: Vec<EventView>,
    next: Vec<Opt>,
    partner: bool,
    created: String,
    errors: Vec<FieldError>,
}

async fn referral_page_inner(
    st: &AppState,
    a: &Auth,
    id: &str,
    notice_text: Option<String>,
    errors: Vec<FieldError>,
) -> PageResult {
    let r = store::get_referral(&st.db, &a.ctx, id).await.page_err(a)?;
    let partner = a.ctx.role == Role::Partner;
    let side = if partner {
        model::Side::Agency
    } else {
        model::Side::Worker
    };
    let next = model::REFERRAL_STATUSES
        .iter()
        .filter(|(to, _)| {
            // Offer what the lifecycle allows (reason/outcome are asked for in the form).
            model::check_transition(&r.referral.status, to, side, "x", "x").is_ok()
        })
        .map(|(k, l)| Opt {
            value: k.to_string(),
            label: l.to_string(),
            selected: false,
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(render_status(
        status,
        &ReferralPage {
            page: Page::for_auth("つなぐ支援", a).notice(notice_text),
            items: r
                .shared
                .items
                .iter()
                .map(|i| model::consent_item_label(i))
                .collect::<Vec<_>>()
                .join("、"),
            events: r
                .referral
                .events
                .iter()
                .map(|e| EventView {
                    at: time::format_datetime(&e.at),
                    actor: e.actor.clone(),
                    from: model::referral_status_label(&e.from_status),
                    to: model::referral_status_label(&e.to_status),
                    note: e.note.clone(),
                })
                .collect(),
            created: time::format_datetime(&r.referral.created_at),
            next,
            partner,
            r,
            errors,
        },
    ))
}

pub(super) async fn referral_page(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Query(q): Query<StatusQuery>,
) -> PageResult {
    referral_page_inner(&st, &a, &id, notice(q.done.as_deref()), vec![]).await
}

/// A referral's next status, with the reason (お断り) or the outcome (終結).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct StatusForm {
    status: String,
    reason: String,
    outcome: String,
}

pub(super) async fn referral_status(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Form(f): Form<StatusForm>,
) -> PageResult {
    match store::transition_referral(&st.db, &a.ctx, &id, &f.status, &f.reason, &f.outcome).await {
        Ok(()) => Ok(Redirect::to(&format!("/referrals/{id}?done=status")).into_response()),
        Err(AppError::Validation(e)) => referral_page_inner(&st, &a, &id, None, e).await,
        Err(e) => Err(e).page_err(&a),
    }
}
