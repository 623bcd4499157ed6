//! The children list and the child form: new, create, edit and update.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};

use serde::Deserialize;

use super::opts;
use crate::agencies::model::DISEASE_GROUPS;
use crate::auth::{policy, Action};
use crate::cases::model;
use crate::cases::store::{self, ChildFilter, ChildInput, ChildSummary, FamilyInput};
use crate::error::FieldError;
use crate::web::form::Opt;
use crate::web::form::{ticked, Form, Rows};
use crate::web::pages::{render, render_status, urlencode, Auth, Page, PageResult, WithCtx};
use crate::web::AppState;
use crate::AppError;

#[derive(Template)]
#[template(path = "cases/list.html")]
struct ListPage {
    page: Page,
    q: String,
    mine: bool,
    items: Vec<ChildSummary>,
    total: i64,
    can_manage: bool,
}

pub(super) async fn list(
    State(st): State<AppState>,
    a: Auth,
    Query(f): Query<ChildFilter>,
) -> PageResult {
    let (items, total) = store::list_children(&st.db, &a.ctx, &f)
        .await
        .page_err(&a)?;
    Ok(render(&ListPage {
        page: Page::for_auth("子ども・家族", &a),
        q: f.q.clone(),
        mine: f.mine,
        items,
        total,
        can_manage: policy::can(&a.ctx, Action::ManageChildren),
    }))
}

pub struct FamilySlot {
    pub i: usize,
    pub f: FamilyInput,
}

#[derive(Template)]
#[template(path = "cases/form.html")]
struct FormPage {
    page: Page,
    heading: String,
    action: String,
    cancel: String,
    c: ChildInput,
    sexes: Vec<Opt>,
    groups: Vec<Opt>,
    family: Vec<FamilySlot>,
    version: Option<i64>,
    errors: Vec<FieldError>,
}

fn form_page(
    a: &Auth,
    heading: &str,
    action: String,
    cancel: String,
    c: ChildInput,
    version: Option<i64>,
    errors: Vec<FieldError>,
) -> FormPage {
    let mut family: Vec<FamilySlot> = c
        .family
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, f)| FamilySlot { i, f })
        .collect();
    let n = family.len();
    for i in n..(n + 2).max(3) {
        family.push(FamilySlot {
            i,
            f: FamilyInput::default(),
        });
    }
    FormPage {
        page: Page::for_auth(heading, a),
        heading: heading.into(),
        action,
        cancel,
        sexes: opts(&model::SEXES, &c.sex),
        groups: DISEASE_GROUPS
            .iter()
            .enumerate()
            .map(|(i, g)| Opt {
                value: (i + 1).to_string(),
                label: format!("{} {g}", i + 1),
                selected: c.disease_group == (i + 1) as i64,
            })
            .collect(),
        family,
        c,
        version,
        errors,
    }
}

/// The child's form (new and edit): what was typed, and up to 12 numbered family rows
/// (`family_name_0`, `family_guardian_0` …).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ChildForm {
    name: String,
    reading: String,
    birth_date: String,
    sex: String,
    disease_group: String,
    disease_name: String,
    certificate_number: String,
    certificate_from: String,
    certificate_to: String,
    certified_at_18: String,
    school: String,
    grade: String,
    workplace: String,
    medical_care: String,
    household_notes: String,
    /// The version the edit form was opened at (an edit made meanwhile is refused).
    version: String,
    #[serde(flatten)]
    rows: Rows,
}

impl ChildForm {
    fn input(self) -> ChildInput {
        let mut family = vec![];
        for i in 0..12 {
            let g = |k: &str| self.rows.text(&format!("family_{k}"), i);
            let f = FamilyInput {
                relation: g("relation"),
                name: g("name"),
                birth_date: g("birth_date"),
                phone: g("phone"),
                is_guardian: self.rows.ticked("family_guardian", i),
                supported: self.rows.ticked("family_supported", i),
                notes: g("notes"),
            };
            if !(f.relation.is_empty()
                && f.name.is_empty()
                && f.phone.is_empty()
                && f.notes.is_empty())
            {
                family.push(f);
            }
        }
        ChildInput {
            // Not one of the groups: refused by the store.
            disease_group: self.disease_group.parse().unwrap_or(0),
            certified_at_18: ticked(&self.certified_at_18),
            name: self.name,
            reading: self.reading,
            birth_date: self.birth_date,
            sex: self.sex,
            disease_name: self.disease_name,
            certificate_number: self.certificate_number,
            certificate_from: self.certificate_from,
            certificate_to: self.certificate_to,
            school: self.school,
            grade: self.grade,
            workplace: self.workplace,
            medical_care: self.medical_care,
            household_notes: self.household_notes,
            family,
        }
    }
}

pub(super) async fn new_form(a: Auth) -> PageResult {
    policy::require(&a.ctx, Action::ManageChildren).page_err(&a)?;
    Ok(render(&form_page(
        &a,
        "子どもの登録",
        "/children".into(),
        "/children".into(),
        ChildInput::default(),
        None,
        vec![],
    )))
}

pub(super) async fn create(
    State(st): State<AppState>,
    a: Auth,
    Form(f): Form<ChildForm>,
) -> PageResult {
    let input = f.input();
    match store::create_child(&st.db, &a.ctx, &input).await {
        Ok(c) => {
            let dup = if c.duplicates.is_empty() {
                String::new()
            } else {
                format!(
                    "&dup={}",
                    urlencode(
                        &c.duplicates
                            .iter()
                            .map(|d| d.0.clone())
                            .collect::<Vec<_>>()
                            .join(",")
                    )
                )
            };
            Ok(Redirect::to(&format!("/children/{}?done=created{dup}", c.id)).into_response())
        }
        Err(AppError::Validation(errs)) => Ok(render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &form_page(
                &a,
                "子どもの登録",
                "/children".into(),
                "/children".into(),
                input,
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
    policy::require(&a.ctx, Action::ManageChildren).page_err(&a)?;
    let c = store::get_child(&st.db, &a.ctx, &id).await.page_err(&a)?;
    Ok(render(&form_page(
        &a,
        "基本情報の編集",
        format!("/children/{id}"),
        format!("/children/{id}"),
        c.input,
        Some(c.version),
        vec![],
    )))
}

pub(super) async fn update(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Form(f): Form<ChildForm>,
) -> PageResult {
    let version = f.version.parse().ok();
    let input = f.input();
    match store::update_child(&st.db, &a.ctx, &id, &input, version).await {
        Ok(()) => Ok(Redirect::to(&format!("/children/{id}?done=updated")).into_response()),
        Err(AppError::Validation(errs)) => Ok(render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &form_page(
                &a,
                "基本情報の編集",
                format!("/children/{id}"),
                format!("/children/{id}"),
                input,
                version,
                errs,
            ),
        )),
        Err(e) => Err(e).page_err(&a),
    }
}
