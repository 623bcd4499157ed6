//! Support plan pages: the plan, its print view, and the plan form.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::{notice, plain_opts, wareki};
use crate::auth::{policy, Action};
use crate::cases::model::{self, PlanAction};
use crate::cases::store::{self, Child, Plan, PlanInput};
use crate::error::FieldError;
use crate::web::form::Opt;
use crate::web::form::{Form, Rows};
use crate::web::pages::{render, render_status, Auth, Page, PageResult, WithCtx};
use crate::web::AppState;
use crate::{time, AppError};

pub struct PlanView {
    pub p: Plan,
    pub created: String,
    pub review: String,
}

#[derive(Template)]
#[template(path = "cases/plan.html")]
struct PlanPage {
    page: Page,
    child: Child,
    current: Option<PlanView>,
    revisions: Vec<PlanView>,
    compare: Option<(PlanView, PlanView)>,
    can_manage: bool,
    print: bool,
}

#[derive(Deserialize, Default)]
pub(super) struct PlanQuery {
    a: Option<i64>,
    b: Option<i64>,
    done: Option<String>,
}

fn plan_view(p: Plan) -> PlanView {
    PlanView {
        created: time::format_datetime(&p.created_at),
        review: wareki(&p.input.review_date),
        p,
    }
}

async fn plan_page_inner(
    st: &AppState,
    a: &Auth,
    id: &str,
    q: &PlanQuery,
    print: bool,
) -> PageResult {
    let child = store::get_child(&st.db, &a.ctx, id).await.page_err(a)?;
    let plans = store::plans(&st.db, &a.ctx, id).await.page_err(a)?;
    let find = |r: Option<i64>| {
        r.and_then(|r| plans.iter().find(|p| p.revision == r).cloned())
            .map(plan_view)
    };
    let compare = match (find(q.a), find(q.b)) {
        (Some(x), Some(y)) => Some((x, y)),
        _ => None,
    };
    let title = if print {
        format!("自立支援計画 {}", child.input.name)
    } else {
        "自立支援計画".to_string()
    };
    Ok(render(&PlanPage {
        page: Page::for_auth(title, a).notice(notice(q.done.as_deref())),
        current: plans.first().cloned().map(plan_view),
        revisions: plans.into_iter().map(plan_view).collect(),
        compare,
        can_manage: policy::can(&a.ctx, Action::ManageChildren),
        print,
        child,
    }))
}

pub(super) async fn plan_page(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Query(q): Query<PlanQuery>,
) -> PageResult {
    plan_page_inner(&st, &a, &id, &q, false).await
}

pub(super) async fn plan_print(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
) -> PageResult {
    plan_page_inner(&st, &a, &id, &PlanQuery::default(), true).await
}

pub struct ActionSlot {
    pub i: usize,
    pub a: PlanAction,
    pub statuses: Vec<Opt>,
}

#[derive(Template)]
#[template(path = "cases/plan_form.html")]
struct PlanForm {
    page: Page,
    child: Child,
    p: PlanInput,
    actions: Vec<ActionSlot>,
    errors: Vec<FieldError>,
    revision: i64,
}

fn plan_form(
    a: &Auth,
    child: Child,
    p: PlanInput,
    revision: i64,
    errors: Vec<FieldError>,
) -> PlanForm {
    let mut actions: Vec<ActionSlot> = p
        .actions
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, x)| ActionSlot {
            statuses: plain_opts(&model::ACTION_STATUSES, std::slice::from_ref(&x.status)),
            i,
            a: x,
        })
        .collect();
    let n = actions.len();
    for i in n..(n + 2).max(4) {
        actions.push(ActionSlot {
            i,
            a: PlanAction::default(),
            statuses: plain_opts(&model::ACTION_STATUSES, &["未着手".into()]),
        });
    }
    PlanForm {
        page: Page::for_auth("自立支援計画の見直し", a),
        child,
        p,
        actions,
        errors,
        revision,
    }
}

pub(super) async fn plan_edit(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
) -> PageResult {
    policy::require(&a.ctx, Action::ManageChildren).page_err(&a)?;
    let child = store::get_child(&st.db, &a.ctx, &id).await.page_err(&a)?;
    let plans = store::plans(&st.db, &a.ctx, &id).await.page_err(&a)?;
    let (p, rev) = plans
        .first()
        .map(|p| {
            (
                PlanInput {
                    note: String::new(),
                    ..p.input.clone()
                },
                p.revision + 1,
            )
        })
        .unwrap_or((PlanInput::default(), 1));
    Ok(render(&plan_form(&a, child, p, rev, vec![])))
}

/// A new revision of the plan: its fields and up to 30 numbered action rows
/// (`action_description_0` …).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct PlanBody {
    child_words: String,
    guardian_words: String,
    long_term_goal: String,
    short_term_goals: String,
    review_date: String,
    note: String,
    #[serde(flatten)]
    rows: Rows,
}

pub(super) async fn plan_save(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Form(p): Form<PlanBody>,
) -> PageResult {
    let mut actions = vec![];
    for i in 0..30 {
        let g = |k: &str| p.rows.text(&format!("action_{k}"), i);
        let x = PlanAction {
            description: g("description"),
            owner: g("owner"),
            due_date: g("due_date"),
            status: g("status"),
        };
        if !(x.description.trim().is_empty() && x.owner.trim().is_empty()) {
            actions.push(x);
        }
    }
    let input = PlanInput {
        child_words: p.child_words,
        guardian_words: p.guardian_words,
        long_term_goal: p.long_term_goal,
        short_term_goals: p.short_term_goals,
        review_date: p.review_date,
        actions,
        note: p.note,
    };
    match store::save_plan(&st.db, &a.ctx, &id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/children/{id}/plan?done=plan")).into_response()),
        Err(AppError::Validation(errs)) => {
            let child = store::get_child(&st.db, &a.ctx, &id).await.page_err(&a)?;
            Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &plan_form(&a, child, input, 0, errs),
            ))
        }
        Err(e) => Err(e).page_err(&a),
    }
}
