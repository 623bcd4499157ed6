//! The goals pages: every version (and a printable one), and the form for a new
//! version (あるべき姿, troubles, purposes with indicators, the hub).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::{agency_opts, notice, Done, Opt, Rows};
use crate::auth::{policy, Action};
use crate::error::FieldError;
use crate::network::store::{self, AsIs, Goals, GoalsInput, Purpose};
use crate::web::form::{Form, Query};
use crate::web::pages::{render, render_status, Auth, Page, PageResult, WithCtx};
use crate::web::AppState;
use crate::AppError;

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

pub(super) async fn goals_page(
    State(st): State<AppState>,
    a: Auth,
    Query(d): Query<Done>,
) -> PageResult {
    goals_view(&st, &a, false, d.done.as_deref()).await
}

pub(super) async fn goals_print(State(st): State<AppState>, a: Auth) -> PageResult {
    goals_view(&st, &a, true, None).await
}

pub struct TroubleRow {
    pub i: usize,
    pub a: String,
    pub b: String,
}

/// A purpose's row of the form: its text, indicator, target, the figure it is
/// measured by and the baseline.
pub struct PurposeRow {
    pub i: usize,
    pub p: Purpose,
}

fn purpose_rows(items: Vec<Purpose>, min: usize) -> Vec<PurposeRow> {
    let n = items.len();
    let mut out: Vec<PurposeRow> = items
        .into_iter()
        .enumerate()
        .map(|(i, p)| PurposeRow { i, p })
        .collect();
    for i in n..(n + 2).max(min) {
        out.push(PurposeRow {
            i,
            p: Purpose::default(),
        });
    }
    out
}

#[derive(Template)]
#[template(path = "network/goals_form.html")]
struct GoalsFormPage {
    page: Page,
    to_be: String,
    as_is: Vec<TroubleRow>,
    purposes: Vec<PurposeRow>,
    measures: Vec<(&'static str, &'static str)>,
    agencies: Vec<Opt>,
    hub_people: String,
    errors: Vec<FieldError>,
}

fn trouble_rows(items: Vec<(String, String)>, min: usize) -> Vec<TroubleRow> {
    let mut out: Vec<TroubleRow> = items
        .into_iter()
        .enumerate()
        .map(|(i, (a, b))| TroubleRow { i, a, b })
        .collect();
    let n = out.len();
    for i in n..(n + 2).max(min) {
        out.push(TroubleRow {
            i,
            a: String::new(),
            b: String::new(),
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
        &GoalsFormPage {
            page: Page::for_auth("連携目的の見直し", a),
            to_be: g.to_be.join("\n"),
            as_is: trouble_rows(g.as_is.into_iter().map(|x| (x.text, x.source)).collect(), 4),
            purposes: purpose_rows(g.purposes, 4),
            measures: crate::network::model::MEASURES
                .iter()
                .map(|(k, l, _)| (*k, *l))
                .collect(),
            agencies,
            hub_people: g.hub_people,
            errors,
        },
    ))
}

pub(super) async fn goals_edit(State(st): State<AppState>, a: Auth) -> PageResult {
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

/// The goals form: あるべき姿 one per line, up to 20 numbered rows of troubles
/// (`as_is_{i}`, `as_is_source_{i}`) and of purposes (`purpose_{i}`, `indicator_{i}`,
/// `target_{i}`), and the hub.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct GoalsForm {
    to_be: String,
    hub_agency_id: String,
    hub_people: String,
    note: String,
    #[serde(flatten)]
    rows: Rows,
}

impl From<GoalsForm> for GoalsInput {
    fn from(f: GoalsForm) -> GoalsInput {
        GoalsInput {
            to_be: f.to_be.lines().map(str::to_string).collect(),
            as_is: (0..20)
                .map(|i| AsIs {
                    text: f.rows.text("as_is", i),
                    source: f.rows.text("as_is_source", i),
                })
                .collect(),
            purposes: (0..20)
                .map(|i| Purpose {
                    text: f.rows.text("purpose", i),
                    indicator: f.rows.text("indicator", i),
                    target: f.rows.text("target", i),
                    measure: f.rows.text("measure", i),
                    baseline: f.rows.text("baseline", i),
                })
                .collect(),
            hub_agency_id: Some(f.hub_agency_id).filter(|s| !s.is_empty()),
            hub_people: f.hub_people,
            note: f.note,
        }
    }
}

pub(super) async fn goals_save(
    State(st): State<AppState>,
    a: Auth,
    Form(f): Form<GoalsForm>,
) -> PageResult {
    let g = GoalsInput::from(f);
    match store::save_goals(&st.db, &a.ctx, &g).await {
        Ok(_) => Ok(Redirect::to("/network/goals?done=goals").into_response()),
        Err(AppError::Validation(e)) => goals_form(&st, &a, g, e).await,
        Err(e) => Err(e).page_err(&a),
    }
}
