//! Ecomap pages: the map of a child, adding and removing nodes, the SVG, and the blank
//! worksheet.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};

use super::{notice, plain_opts, Done};
use crate::auth::{policy, Action};
use crate::cases::store::{self, Child, EcomapNode};
use crate::error::FieldError;
use crate::web::download::svg;
use crate::web::form::Form;
use crate::web::form::Opt;
use crate::web::pages::{render, render_status, Auth, Page, PageResult, WithCtx};
use crate::web::AppState;
use crate::AppError;

#[derive(Template)]
#[template(path = "cases/ecomap.html")]
struct EcomapPage {
    page: Page,
    child: Child,
    nodes: Vec<EcomapNode>,
    /// The registry's choice list (agencies::search::TenantIndex::choices).
    agencies: std::sync::Arc<Vec<(String, String)>>,
    fields: Vec<Opt>,
    can_manage: bool,
    errors: Vec<FieldError>,
}

async fn ecomap_page_inner(
    st: &AppState,
    a: &Auth,
    id: &str,
    notice_text: Option<String>,
    errors: Vec<FieldError>,
) -> PageResult {
    let child = store::get_child(&st.db, &a.ctx, id).await.page_err(a)?;
    let nodes = store::ecomap(&st.db, &a.ctx, id).await.page_err(a)?;
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
    let mut fields: Vec<&str> = vec!["家族", "友人・地域"];
    fields.extend(crate::agencies::model::DEFAULT_FIELDS);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(render_status(
        status,
        &EcomapPage {
            page: Page::for_auth(format!("頼れる人マップ: {}", child.input.name), a)
                .notice(notice_text),
            child,
            nodes,
            agencies,
            fields: plain_opts(&fields, &[]),
            can_manage,
            errors,
        },
    ))
}

pub(super) async fn ecomap_page(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> PageResult {
    ecomap_page_inner(&st, &a, &id, notice(d.done.as_deref()), vec![]).await
}

/// A person or agency added to the 頼れる人マップ.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct NodeForm {
    agency_id: String,
    agency_name: String,
    person_name: String,
    affiliation: String,
    contact: String,
    when_to_contact: String,
    strengths: String,
    can_do: String,
    field: String,
    strength: String,
}

pub(super) async fn ecomap_add(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Form(f): Form<NodeForm>,
) -> PageResult {
    let n = EcomapNode {
        agency_id: Some(f.agency_id).filter(|s| !s.is_empty()),
        agency_name: f.agency_name,
        person_name: f.person_name,
        affiliation: f.affiliation,
        contact: f.contact,
        when_to_contact: f.when_to_contact,
        strengths: f.strengths,
        can_do: f.can_do,
        field: f.field,
        // Not a number: refused by the store as out of range.
        strength: f.strength.parse().unwrap_or(-1),
        ..Default::default()
    };
    match store::add_ecomap_node(&st.db, &a.ctx, &id, &n).await {
        Ok(_) => Ok(Redirect::to(&format!("/children/{id}/ecomap?done=ecomap")).into_response()),
        Err(AppError::Validation(e)) => ecomap_page_inner(&st, &a, &id, None, e).await,
        Err(e) => Err(e).page_err(&a),
    }
}

pub(super) async fn ecomap_remove(
    State(st): State<AppState>,
    a: Auth,
    Path((id, nid)): Path<(String, String)>,
) -> PageResult {
    store::remove_ecomap_node(&st.db, &a.ctx, &id, &nid)
        .await
        .page_err(&a)?;
    Ok(Redirect::to(&format!("/children/{id}/ecomap?done=ecomap")).into_response())
}

/// The ecomap of a child as SVG (also used by the API).
pub async fn ecomap_svg_for(
    st: &AppState,
    ctx: &crate::auth::Ctx,
    id: &str,
) -> Result<String, AppError> {
    let child = store::get_child(&st.db, ctx, id).await?;
    let nodes = store::ecomap(&st.db, ctx, id).await?;
    let given = child
        .input
        .name
        .split_whitespace()
        .last()
        .unwrap_or(&child.input.name)
        .to_string();
    let label = format!("{given}（{}歳）", child.age);
    let nodes: Vec<crate::cases::ecomap::Node> = nodes
        .into_iter()
        .map(|n| crate::cases::ecomap::Node {
            label: if n.agency_name.is_empty() {
                n.person_name.clone()
            } else {
                n.agency_name.clone()
            },
            sub: if n.agency_name.is_empty() {
                n.affiliation.clone()
            } else {
                n.person_name.clone()
            },
            field: n.field,
            strength: n.strength.clamp(0, 3) as u8,
            when: n.when_to_contact,
        })
        .collect();
    Ok(crate::cases::ecomap::render(&label, &nodes))
}

pub(super) async fn ecomap_svg(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
) -> PageResult {
    Ok(svg(ecomap_svg_for(&st, &a.ctx, &id).await.page_err(&a)?))
}

#[derive(Template)]
#[template(path = "cases/worksheet.html")]
struct WorksheetPage {
    page: Page,
}

pub(super) async fn worksheet_page(a: Auth) -> PageResult {
    Ok(render(&WorksheetPage {
        page: Page::for_auth("頼れる人マップ（ワークシート）", &a),
    }))
}

pub(super) async fn worksheet_svg(_a: Auth) -> PageResult {
    Ok(svg(crate::cases::ecomap::render_blank_worksheet()))
}
