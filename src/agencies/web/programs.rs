//! Related programs (近接施策): the list, adding one, and linking it to an agency.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};

use super::list::{notice, ListQuery};
use crate::agencies::store::{self, Program};
use crate::auth::{policy, Action};
use crate::error::FieldError;
use crate::web::form::Form;
use crate::web::pages::{render, render_status, Auth, Page, PageResult, WithCtx};
use crate::web::AppState;
use crate::AppError;
use serde::Deserialize;

// ---- programs ----

/// Linking a program to an agency.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct LinkForm {
    program_id: String,
}

/// A new program, as typed (shown again beside the message when refused).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ProgramForm {
    pub name: String,
    pub overview: String,
    pub owner: String,
}

pub(super) async fn program_link(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Form(f): Form<LinkForm>,
) -> PageResult {
    store::link_program(&st.db, &a.ctx, &id, &f.program_id, true)
        .await
        .page_err(&a)?;
    Ok(Redirect::to(&format!("/agencies/{id}?done=program#programs")).into_response())
}

pub(super) async fn program_unlink(
    State(st): State<AppState>,
    a: Auth,
    Path((id, program)): Path<(String, String)>,
) -> PageResult {
    store::link_program(&st.db, &a.ctx, &id, &program, false)
        .await
        .page_err(&a)?;
    Ok(Redirect::to(&format!("/agencies/{id}?done=program#programs")).into_response())
}

#[derive(Template)]
#[template(path = "agencies/programs.html")]
struct ProgramsPage {
    page: Page,
    programs: Vec<Program>,
    can_admin: bool,
    errors: Vec<FieldError>,
    form: ProgramForm,
}

pub(super) async fn programs_page(
    State(st): State<AppState>,
    a: Auth,
    Query(q): Query<ListQuery>,
) -> PageResult {
    policy::require(&a.ctx, Action::ViewAgencies).page_err(&a)?;
    let programs = store::programs(&st.db, &a.ctx).await.page_err(&a)?;
    Ok(render(&ProgramsPage {
        page: Page::for_auth("近接施策", &a).notice(notice(q.done.as_deref())),
        programs,
        can_admin: policy::can(&a.ctx, Action::AdministerRegistry),
        errors: vec![],
        form: ProgramForm::default(),
    }))
}

pub(super) async fn program_add(
    State(st): State<AppState>,
    a: Auth,
    Form(f): Form<ProgramForm>,
) -> PageResult {
    match store::add_program(&st.db, &a.ctx, &f.name, &f.overview, &f.owner).await {
        Ok(_) => Ok(Redirect::to("/agencies/programs?done=program").into_response()),
        Err(AppError::Validation(errors)) => {
            let programs = store::programs(&st.db, &a.ctx).await.page_err(&a)?;
            Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &ProgramsPage {
                    page: Page::for_auth("近接施策", &a),
                    programs,
                    can_admin: true,
                    errors,
                    form: f,
                },
            ))
        }
        Err(e) => Err(e).page_err(&a),
    }
}
