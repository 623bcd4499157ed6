//! `/surveys`: the tenant's surveys, and a new one from a template; a copy of one.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::date_label;
use crate::auth::{policy, Action};
use crate::error::FieldError;
use crate::surveys::engine::def::TEMPLATES;
use crate::surveys::engine::store::{self, NewSurvey, Survey};
use crate::web::form::{Form, Opt};
use crate::web::pages::{render_status, Auth, Page, PageResult, WithCtx};
use crate::web::AppState;
use crate::AppError;

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(super) struct NewForm {
    title: String,
    contact: String,
    template: String,
    invitation_only: Option<String>,
    named: Option<String>,
    opens_on: String,
    closes_on: String,
}

pub(super) struct Row {
    pub s: Survey,
    pub period: String,
}

#[derive(Template)]
#[template(path = "surveys/engine/list.html")]
struct ListPage {
    page: Page,
    rows: Vec<Row>,
    can_manage: bool,
    templates: Vec<Opt>,
    form: NewForm,
    errors: Vec<FieldError>,
}

pub(super) fn period(s: &Survey) -> String {
    match (&s.opens_on, &s.closes_on) {
        (None, None) => "期間の定めなし".into(),
        (Some(a), None) => format!("{}から", date_label(a)),
        (None, Some(b)) => format!("{}まで", date_label(b)),
        (Some(a), Some(b)) => format!("{}〜{}", date_label(a), date_label(b)),
    }
}

async fn view(st: &AppState, a: &Auth, form: NewForm, errors: Vec<FieldError>) -> PageResult {
    let rows = store::list(&st.db, &a.ctx).await.page_err(a)?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let chosen = if form.template.is_empty() {
        "needs".to_string()
    } else {
        form.template.clone()
    };
    Ok(render_status(
        status,
        &ListPage {
            page: Page::for_auth("調査・アンケート", a),
            rows: rows
                .into_iter()
                .map(|s| Row {
                    period: period(&s),
                    s,
                })
                .collect(),
            can_manage: policy::can(&a.ctx, Action::ManageSurveys),
            templates: TEMPLATES
                .iter()
                .map(|(k, name, _, _)| Opt {
                    value: k.to_string(),
                    label: name.to_string(),
                    selected: *k == chosen,
                })
                .collect(),
            form,
            errors,
        },
    ))
}

pub(super) async fn list(State(st): State<AppState>, a: Auth) -> PageResult {
    view(&st, &a, NewForm::default(), vec![]).await
}

pub(super) async fn create(
    State(st): State<AppState>,
    a: Auth,
    Form(f): Form<NewForm>,
) -> PageResult {
    let n = NewSurvey {
        title: f.title.clone(),
        contact: f.contact.clone(),
        purpose: None,
        template: Some(if f.template.is_empty() {
            "needs".into()
        } else {
            f.template.clone()
        }),
        definition: None,
        anonymous: f.named.is_none(),
        invitation_only: f.invitation_only.is_some(),
        opens_on: Some(f.opens_on.clone()),
        closes_on: Some(f.closes_on.clone()),
    };
    match store::create(&st.db, &a.ctx, n).await {
        Ok(id) => Ok(Redirect::to(&format!("/surveys/{id}?done=created")).into_response()),
        Err(AppError::Validation(e)) => view(&st, &a, f, e).await,
        Err(e) => Err(e).page_err(&a),
    }
}

pub(super) async fn copy(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
) -> PageResult {
    let new = store::copy(&st.db, &a.ctx, &id).await.page_err(&a)?;
    Ok(Redirect::to(&format!("/surveys/{new}?done=copied")).into_response())
}
