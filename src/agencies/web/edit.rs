//! Creating, editing and deleting an agency.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};

use super::{all_errors, options, AgencyForm, CONTACT_SLOTS};
use crate::agencies::model::{AgencyInput, ContactInput, DISEASE_GROUPS};
use crate::agencies::store::{self};
use crate::auth::{policy, Action};
use crate::error::FieldError;
use crate::web::form::Form;
use crate::web::form::Opt;
use crate::web::pages::{render, render_status, Auth, Page, PageResult, WithCtx};
use crate::web::AppState;
use crate::AppError;

// ---- create / edit ----

pub struct GroupBox {
    pub n: usize,
    pub label: &'static str,
    pub checked: bool,
}

pub struct ContactSlot {
    pub i: usize,
    pub c: ContactInput,
}

#[derive(Template)]
#[template(path = "agencies/form.html")]
struct FormPage {
    page: Page,
    action: String,
    heading: String,
    input: AgencyInput,
    fields: Vec<Opt>,
    groups: Vec<GroupBox>,
    contacts: Vec<ContactSlot>,
    age_min: String,
    age_max: String,
    version: Option<i64>,
    errors: Vec<FieldError>,
    cancel: String,
}

#[allow(clippy::too_many_arguments)] // one call site per page; a struct would only rename them
fn form_page(
    a: &Auth,
    heading: &str,
    action: String,
    cancel: String,
    input: AgencyInput,
    fields: &[String],
    version: Option<i64>,
    errors: Vec<FieldError>,
) -> FormPage {
    let mut contacts: Vec<ContactSlot> = input
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
    FormPage {
        page: Page::for_auth(heading, a),
        action,
        heading: heading.to_string(),
        fields: options(fields, &input.field),
        groups: DISEASE_GROUPS
            .iter()
            .enumerate()
            .map(|(i, label)| GroupBox {
                n: i + 1,
                label,
                checked: input.disease_groups.contains(&((i + 1) as i64)),
            })
            .collect(),
        contacts,
        age_min: input.age_min.map(|v| v.to_string()).unwrap_or_default(),
        age_max: input.age_max.map(|v| v.to_string()).unwrap_or_default(),
        input,
        version,
        errors,
        cancel,
    }
}

pub(super) async fn new_form(State(st): State<AppState>, a: Auth) -> PageResult {
    policy::require(&a.ctx, Action::ManageAgencies).page_err(&a)?;
    let fields = store::fields(&st.db, &a.ctx).await.page_err(&a)?;
    Ok(render(&form_page(
        &a,
        "関係機関の登録",
        "/agencies".into(),
        "/agencies".into(),
        AgencyInput::default(),
        &fields,
        None,
        vec![],
    )))
}

pub(super) async fn create(
    State(st): State<AppState>,
    a: Auth,
    Form(f): Form<AgencyForm>,
) -> PageResult {
    policy::require(&a.ctx, Action::ManageAgencies).page_err(&a)?;
    let (input, form_errs) = f.input();
    let fields = store::fields(&st.db, &a.ctx).await.page_err(&a)?;
    let res = if form_errs.is_empty() {
        store::create(&st.db, &a.ctx, &input).await
    } else {
        Err(all_errors(form_errs, &input, &fields))
    };
    match res {
        Ok(id) => Ok(Redirect::to(&format!("/agencies/{id}?done=created")).into_response()),
        Err(AppError::Validation(errs)) => Ok(render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &form_page(
                &a,
                "関係機関の登録",
                "/agencies".into(),
                "/agencies".into(),
                input,
                &fields,
                None,
                errs,
            ),
        )),
        Err(e) => Err(e).page_err(&a),
    }
}

pub(super) async fn edit_form(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
) -> PageResult {
    policy::require(&a.ctx, Action::ManageAgencies).page_err(&a)?;
    let ag = store::get(&st.db, &a.ctx, &id).await.page_err(&a)?;
    let fields = store::fields(&st.db, &a.ctx).await.page_err(&a)?;
    Ok(render(&form_page(
        &a,
        "関係機関の編集",
        format!("/agencies/{id}"),
        format!("/agencies/{id}"),
        ag.input,
        &fields,
        Some(ag.version),
        vec![],
    )))
}

pub(super) async fn update(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Form(f): Form<AgencyForm>,
) -> PageResult {
    policy::require(&a.ctx, Action::ManageAgencies).page_err(&a)?;
    let version = f.version();
    let (input, form_errs) = f.input();
    let res = if form_errs.is_empty() {
        store::update(&st.db, &a.ctx, &id, &input, version).await
    } else {
        let fields = store::fields(&st.db, &a.ctx).await.page_err(&a)?;
        Err(all_errors(form_errs, &input, &fields))
    };
    match res {
        Ok(()) => Ok(Redirect::to(&format!("/agencies/{id}?done=updated")).into_response()),
        Err(AppError::Validation(errs)) => {
            let fields = store::fields(&st.db, &a.ctx).await.page_err(&a)?;
            Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &form_page(
                    &a,
                    "関係機関の編集",
                    format!("/agencies/{id}"),
                    format!("/agencies/{id}"),
                    input,
                    &fields,
                    version,
                    errs,
                ),
            ))
        }
        Err(e) => Err(e).page_err(&a),
    }
}

pub(super) async fn delete(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
) -> PageResult {
    store::delete(&st.db, &a.ctx, &id).await.page_err(&a)?;
    Ok(Redirect::to("/agencies?done=deleted").into_response())
}
