//! Partners' proposals: proposing a change to an agency, and the list where they are
//! decided.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};

use super::edit::ContactSlot;
use super::list::{notice, ListQuery};
use super::{AgencyForm, CONTACT_SLOTS};
use crate::agencies::model::ContactInput;
use crate::agencies::store::{self, Agency, Proposal, ProposalInput};
use crate::auth::{policy, Action};
use crate::error::FieldError;
use crate::web::form::Form;
use crate::web::pages::{render, render_status, Auth, Page, PageError, PageResult, WithCtx};
use crate::web::AppState;
use crate::AppError;
use serde::Deserialize;

// ---- partners' proposals ----

#[derive(Template)]
#[template(path = "agencies/propose.html")]
struct ProposePage {
    page: Page,
    a: Agency,
    p: ProposalInput,
    contacts: Vec<ContactSlot>,
    errors: Vec<FieldError>,
    mine: Vec<Proposal>,
}

fn propose_page(
    a: &Auth,
    ag: Agency,
    p: ProposalInput,
    errors: Vec<FieldError>,
    mine: Vec<Proposal>,
) -> ProposePage {
    let mut contacts: Vec<ContactSlot> = p
        .contacts
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, c)| ContactSlot { i, c })
        .collect();
    let n = contacts.len();
    for i in n..(n + 1).max(CONTACT_SLOTS) {
        contacts.push(ContactSlot {
            i,
            c: ContactInput::default(),
        });
    }
    ProposePage {
        page: Page::for_auth("掲載内容の変更を提案", a),
        a: ag,
        p,
        contacts,
        errors,
        mine,
    }
}

pub(super) async fn propose_form(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
) -> PageResult {
    policy::require(&a.ctx, Action::ProposeAgencyChange).page_err(&a)?;
    let ag = store::get(&st.db, &a.ctx, &id).await.page_err(&a)?;
    let p = ProposalInput {
        overview: ag.input.overview.clone(),
        services: ag.input.services.clone(),
        strengths: ag.input.strengths.clone(),
        hours: ag.input.hours.clone(),
        contacts: ag.input.contacts.clone(),
    };
    let mine = store::proposals(&st.db, &a.ctx, false).await.page_err(&a)?;
    Ok(render(&propose_page(&a, ag, p, vec![], mine)))
}

pub(super) async fn propose_submit(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Form(f): Form<AgencyForm>,
) -> PageResult {
    let (input, _) = f.input();
    let proposal = ProposalInput {
        overview: input.overview,
        services: input.services,
        strengths: input.strengths,
        hours: input.hours,
        contacts: input.contacts,
    };
    match store::propose(&st.db, &a.ctx, &id, &proposal).await {
        Ok(_) => Ok(Redirect::to(&format!("/agencies/{id}?done=proposed")).into_response()),
        Err(AppError::Validation(errs)) => {
            let ag = store::get(&st.db, &a.ctx, &id).await.page_err(&a)?;
            let mine = store::proposals(&st.db, &a.ctx, false).await.page_err(&a)?;
            Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &propose_page(&a, ag, proposal, errs, mine),
            ))
        }
        Err(e) => Err(e).page_err(&a),
    }
}

#[derive(Template)]
#[template(path = "agencies/proposals.html")]
struct ProposalsPage {
    page: Page,
    proposals: Vec<Proposal>,
}

pub(super) async fn proposals_page(
    State(st): State<AppState>,
    a: Auth,
    Query(q): Query<ListQuery>,
) -> PageResult {
    policy::require(&a.ctx, Action::AdministerRegistry).page_err(&a)?;
    let proposals = store::proposals(&st.db, &a.ctx, true).await.page_err(&a)?;
    Ok(render(&ProposalsPage {
        page: Page::for_auth("窓口担当者からの変更提案", &a).notice(notice(q.done.as_deref())),
        proposals,
    }))
}

/// The registry admin's decision on a proposal: `decision=approve` or a rejection with
/// its reason.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct DecisionForm {
    decision: String,
    reason: String,
}

pub(super) async fn proposal_decide(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Form(f): Form<DecisionForm>,
) -> PageResult {
    let approve = f.decision == "approve";
    match store::decide(&st.db, &a.ctx, &id, approve, &f.reason).await {
        Ok(()) => Ok(Redirect::to(&format!(
            "/agencies/proposals?done={}",
            if approve { "approved" } else { "rejected" }
        ))
        .into_response()),
        Err(e) => Err(PageError {
            ctx: Some(a.ctx.clone()),
            err: e,
        }),
    }
}
