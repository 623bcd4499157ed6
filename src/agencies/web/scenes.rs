//! Scenes (連携場面): setting an agency's part in a scene, the scene matrix and one scene's
//! page.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use crate::agencies::search::Query as SearchQuery;
use crate::agencies::store::{self, Scene, SceneLinkRow};
use crate::auth::{policy, Action};
use crate::web::form::Form;
use crate::web::form::Opt;
use crate::web::pages::{render, Auth, Page, PageResult, WithCtx};
use crate::web::AppState;
use crate::AppError;

// ---- scenes ----

/// An agency's part in a scene: from the agency's page (`scene_id`, and `back` to return
/// to the scene's page) or from the scene's page (`agency_id`).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct SceneLinkForm {
    scene_id: String,
    agency_id: String,
    method: String,
    content: String,
    back: String,
}

pub(super) async fn scene_set(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Form(f): Form<SceneLinkForm>,
) -> PageResult {
    store::set_scene_link(&st.db, &a.ctx, &f.scene_id, &id, &f.method, &f.content)
        .await
        .page_err(&a)?;
    let back = f.back;
    let to = if back.starts_with("/agencies/scenes/") {
        back
    } else {
        format!("/agencies/{id}?done=scene#scenes")
    };
    Ok(Redirect::to(&to).into_response())
}

pub(super) async fn scene_add(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Form(f): Form<SceneLinkForm>,
) -> PageResult {
    store::set_scene_link(&st.db, &a.ctx, &id, &f.agency_id, &f.method, &f.content)
        .await
        .page_err(&a)?;
    Ok(Redirect::to(&format!("/agencies/scenes/{id}")).into_response())
}

pub(super) async fn scene_remove(
    State(st): State<AppState>,
    a: Auth,
    Path((id, scene)): Path<(String, String)>,
) -> PageResult {
    store::remove_scene_link(&st.db, &a.ctx, &scene, &id)
        .await
        .page_err(&a)?;
    Ok(Redirect::to(&format!("/agencies/{id}?done=scene#scenes")).into_response())
}

pub struct MatrixRow {
    pub agency_id: String,
    pub name: String,
    pub field: String,
    pub cells: Vec<Cell>,
}

#[derive(Clone, Default)]
pub struct Cell {
    pub present: bool,
    pub method: String,
    pub content: String,
}

#[derive(Template)]
#[template(path = "agencies/matrix.html")]
struct MatrixPage {
    page: Page,
    scenes: Vec<Scene>,
    rows: Vec<MatrixRow>,
    by_scene: Vec<(Scene, Vec<SceneLinkRow>)>,
    view: String,
}

#[derive(Deserialize)]
pub(super) struct ViewQuery {
    #[serde(default)]
    view: String,
}

pub(super) async fn matrix(
    State(st): State<AppState>,
    a: Auth,
    Query(v): Query<ViewQuery>,
) -> PageResult {
    let links = store::matrix(&st.db, &a.ctx, None).await.page_err(&a)?;
    let scenes = store::scenes(&st.db, &a.ctx).await.page_err(&a)?;
    let mut rows: Vec<MatrixRow> = vec![];
    for l in &links {
        let col = scenes.iter().position(|s| s.id == l.scene_id);
        let idx = match rows.iter().position(|r| r.agency_id == l.agency_id) {
            Some(i) => i,
            None => {
                rows.push(MatrixRow {
                    agency_id: l.agency_id.clone(),
                    name: l.agency_name.clone(),
                    field: l.agency_field.clone(),
                    cells: vec![Cell::default(); scenes.len()],
                });
                rows.len() - 1
            }
        };
        if let Some(c) = col {
            rows[idx].cells[c] = Cell {
                present: true,
                method: l.method.clone(),
                content: l.content.clone(),
            };
        }
    }
    let by_scene = scenes
        .iter()
        .map(|s| {
            (
                s.clone(),
                links
                    .iter()
                    .filter(|l| l.scene_id == s.id)
                    .cloned()
                    .collect(),
            )
        })
        .collect();
    Ok(render(&MatrixPage {
        page: Page::for_auth("連携場面の整理", &a),
        scenes,
        rows,
        by_scene,
        view: if v.view == "grid" {
            "grid".into()
        } else {
            "scene".into()
        },
    }))
}

#[derive(Template)]
#[template(path = "agencies/scene.html")]
struct ScenePage {
    page: Page,
    scene: Scene,
    links: Vec<SceneLinkRow>,
    can_manage: bool,
    agencies: Vec<Opt>,
}

pub(super) async fn scene_page(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
) -> PageResult {
    let scenes = store::scenes(&st.db, &a.ctx).await.page_err(&a)?;
    let scene = scenes
        .into_iter()
        .find(|s| s.id == id)
        .ok_or(AppError::NotFound)
        .page_err(&a)?;
    let links = store::matrix(&st.db, &a.ctx, Some(&id))
        .await
        .page_err(&a)?;
    let can_manage = policy::can(&a.ctx, Action::ManageAgencies);
    let agencies = if can_manage {
        let t = a.ctx.tenant().page_err(&a)?.to_string();
        let ix = crate::agencies::search::index(&st.db, &t)
            .await
            .page_err(&a)?;
        ix.search(&SearchQuery {
            limit: 1000,
            ..Default::default()
        })
        .items
        .into_iter()
        .filter(|s| !links.iter().any(|l| l.agency_id == s.id))
        .map(|s| Opt {
            value: s.id,
            label: format!("{}（{}）", s.name, s.field),
            selected: false,
        })
        .collect()
    } else {
        vec![]
    };
    Ok(render(&ScenePage {
        page: Page::for_auth(format!("連携場面: {}", scene.name), &a),
        scene,
        links,
        can_manage,
        agencies,
    }))
}
