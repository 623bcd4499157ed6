//! Pages of the agency registry.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use super::import::{self, Preview};
use super::model::{AgencyInput, ContactInput, DISEASE_GROUPS};
use super::search::{Hits, Query as SearchQuery};
use super::store::{
    self, Agency, HistoryEntry, ListKind, Program, Proposal, ProposalInput, Scene, SceneLinkRow,
};
use crate::auth::{policy, Action, Role};
use crate::error::FieldError;
use crate::web::pages::{
    render, render_status, urlencode, Auth, Page, PageError, PageResult, WithCtx,
};
use crate::web::AppState;
use crate::AppError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/agencies", get(list).post(create))
        .route("/agencies/new", get(new_form))
        .route("/agencies/mine", get(mine))
        .route("/agencies/matrix", get(matrix))
        .route("/agencies/scenes/{id}", get(scene_page).post(scene_add))
        .route("/agencies/import", get(import_form).post(import_upload))
        .route("/agencies/import/{batch}/commit", post(import_commit))
        .route("/agencies/export", get(export))
        .route("/agencies/settings", get(settings))
        .route("/agencies/settings/{kind}", post(settings_save))
        .route("/agencies/programs", get(programs_page).post(program_add))
        .route("/agencies/proposals", get(proposals_page))
        .route("/agencies/proposals/{id}/decide", post(proposal_decide))
        .route("/agencies/{id}", get(show).post(update))
        .route("/agencies/{id}/edit", get(edit_form))
        .route("/agencies/{id}/delete", post(delete))
        .route("/agencies/{id}/history", get(history))
        .route("/agencies/{id}/scenes", post(scene_set))
        .route("/agencies/{id}/scenes/{scene}/delete", post(scene_remove))
        .route("/agencies/{id}/programs", post(program_link))
        .route(
            "/agencies/{id}/programs/{program}/delete",
            post(program_unlink),
        )
        .route(
            "/agencies/{id}/propose",
            get(propose_form).post(propose_submit),
        )
}

use crate::web::form::{one, pairs};

fn opt_int(s: &str) -> Result<Option<i64>, ()> {
    let s = crate::text::clean(s);
    if s.is_empty() {
        Ok(None)
    } else {
        s.trim_end_matches('歳').parse().map(Some).map_err(|_| ())
    }
}

pub const CONTACT_SLOTS: usize = 3;

/// An agency from the edit form. Contacts come as contact_name_N etc.
fn input_from_form(p: &[(String, String)]) -> (AgencyInput, Vec<FieldError>) {
    let mut errs = vec![];
    let mut age = |k: &str| match opt_int(&one(p, k)) {
        Ok(v) => v,
        Err(()) => {
            errs.push(FieldError::new(k, "対象年齢は数字で入力してください。"));
            None
        }
    };
    let age_min = age("age_min");
    let age_max = age("age_max");
    let mut contacts = vec![];
    for i in 0..20 {
        let g = |f: &str| one(p, &format!("contact_{f}_{i}"));
        let c = ContactInput {
            name: g("name"),
            department: g("department"),
            phone: g("phone"),
            email: g("email"),
            best_time: g("best_time"),
        };
        if !c.is_empty() {
            contacts.push(c);
        }
    }
    let input = AgencyInput {
        field: one(p, "field"),
        name: one(p, "name"),
        reading: one(p, "reading"),
        address: one(p, "address"),
        overview: one(p, "overview"),
        url: one(p, "url"),
        is_new: one(p, "is_new") == "1",
        services: one(p, "services"),
        strengths: one(p, "strengths"),
        disease_groups: p
            .iter()
            .filter(|(k, _)| k == "dg")
            .filter_map(|(_, v)| v.parse().ok())
            .collect(),
        age_min,
        age_max,
        hours: one(p, "hours"),
        notes: one(p, "notes"),
        contacts,
    };
    (input, errs)
}

/// Form-level problems (e.g. a non-number age) together with the model's.
fn all_errors(mut form_errs: Vec<FieldError>, input: &AgencyInput, fields: &[String]) -> AppError {
    if let Err(more) = super::model::validate(input, fields) {
        form_errs.extend(more);
    }
    AppError::Validation(form_errs)
}

pub use crate::web::form::Opt;

fn options(values: &[String], selected: &str) -> Vec<Opt> {
    values
        .iter()
        .map(|v| Opt {
            value: v.clone(),
            label: v.clone(),
            selected: v == selected,
        })
        .collect()
}

// ---- list and search ----

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    field: String,
    #[serde(default)]
    scene: String,
    #[serde(default)]
    dg: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    page: Option<usize>,
    done: Option<String>,
}

pub const PAGE_SIZE: usize = 50;

#[derive(Template)]
#[template(path = "agencies/list.html")]
struct ListPage {
    page: Page,
    q: String,
    fields: Vec<Opt>,
    scenes: Vec<Opt>,
    groups: Vec<Opt>,
    new_opts: Vec<Opt>,
    hits: Hits,
    page_no: usize,
    pages: usize,
    prev_url: Option<String>,
    next_url: Option<String>,
    can_manage: bool,
    can_admin: bool,
    filtered: bool,
}

fn notice(done: Option<&str>) -> Option<String> {
    Some(
        match done? {
            "created" => "関係機関を登録しました。",
            "updated" => "関係機関の情報を更新しました。",
            "deleted" => "関係機関を台帳から削除しました（変更履歴は残っています）。",
            "scene" => "連携場面を更新しました。",
            "program" => "近接施策を更新しました。",
            "lists" => "一覧を更新しました。",
            "proposed" => "変更の提案を送りました。事業担当者が確認します。",
            "approved" => "提案を承認し、台帳に反映しました。",
            "rejected" => "提案を差し戻しました。",
            _ => return None,
        }
        .to_string(),
    )
}

fn search_query(q: &ListQuery, scenes: &[Scene]) -> SearchQuery {
    SearchQuery {
        q: q.q.clone(),
        field: Some(q.field.clone()).filter(|s| !s.is_empty()),
        scene: scenes
            .iter()
            .find(|s| s.id == q.scene)
            .map(|s| s.id.clone()),
        disease_group: q.dg.parse().ok(),
        is_new: match q.new.as_str() {
            "1" => Some(true),
            "0" => Some(false),
            _ => None,
        },
        offset: q.page.unwrap_or(1).saturating_sub(1) * PAGE_SIZE,
        limit: PAGE_SIZE,
    }
}

async fn list(State(st): State<AppState>, a: Auth, Query(q): Query<ListQuery>) -> PageResult {
    if a.ctx.role == Role::Partner {
        return Ok(Redirect::to("/agencies/mine").into_response());
    }
    policy::require(&a.ctx, Action::ViewAgencies).page_err(&a)?;
    let t = a.ctx.tenant().page_err(&a)?.to_string();
    let fields = store::fields(&st.db, &a.ctx).await.page_err(&a)?;
    let scenes = store::scenes(&st.db, &a.ctx).await.page_err(&a)?;
    let sq = search_query(&q, &scenes);
    let index = crate::agencies::search::index(&st.db, &t)
        .await
        .page_err(&a)?;
    let hits = index.search(&sq);
    let page_no = q.page.unwrap_or(1).max(1);
    let pages = hits.total.div_ceil(PAGE_SIZE).max(1);
    let url_for = |p: usize| {
        format!(
            "/agencies?q={}&field={}&scene={}&dg={}&new={}&page={p}",
            urlencode(&q.q),
            urlencode(&q.field),
            urlencode(&q.scene),
            urlencode(&q.dg),
            urlencode(&q.new)
        )
    };
    let scene_names: Vec<String> = scenes.iter().map(|s| s.name.clone()).collect();
    let filtered = !q.q.trim().is_empty()
        || sq.field.is_some()
        || sq.scene.is_some()
        || sq.disease_group.is_some()
        || sq.is_new.is_some();
    Ok(render(&ListPage {
        page: Page::for_auth("関係機関台帳", &a).notice(notice(q.done.as_deref())),
        q: q.q.clone(),
        fields: options(&fields, &q.field),
        scenes: scenes
            .iter()
            .zip(scene_names)
            .map(|(s, n)| Opt {
                value: s.id.clone(),
                label: n,
                selected: s.id == q.scene,
            })
            .collect(),
        groups: DISEASE_GROUPS
            .iter()
            .enumerate()
            .map(|(i, g)| Opt {
                value: (i + 1).to_string(),
                label: format!("{} {g}", i + 1),
                selected: q.dg == (i + 1).to_string(),
            })
            .collect(),
        new_opts: vec![
            Opt {
                value: "1".into(),
                label: "新規の関係機関のみ".into(),
                selected: q.new == "1",
            },
            Opt {
                value: "0".into(),
                label: "連携中の関係機関のみ".into(),
                selected: q.new == "0",
            },
        ],
        prev_url: (page_no > 1).then(|| url_for(page_no - 1)),
        next_url: (page_no < pages).then(|| url_for(page_no + 1)),
        page_no,
        pages,
        hits,
        can_manage: policy::can(&a.ctx, Action::ManageAgencies),
        can_admin: policy::can(&a.ctx, Action::AdministerRegistry),
        filtered,
    }))
}

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

async fn new_form(State(st): State<AppState>, a: Auth) -> PageResult {
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

async fn create(State(st): State<AppState>, a: Auth, body: Bytes) -> PageResult {
    policy::require(&a.ctx, Action::ManageAgencies).page_err(&a)?;
    let p = pairs(&body);
    let (input, form_errs) = input_from_form(&p);
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

async fn edit_form(State(st): State<AppState>, a: Auth, Path(id): Path<String>) -> PageResult {
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

async fn update(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    policy::require(&a.ctx, Action::ManageAgencies).page_err(&a)?;
    let p = pairs(&body);
    let (input, form_errs) = input_from_form(&p);
    let version = one(&p, "version").parse().ok();
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

async fn delete(State(st): State<AppState>, a: Auth, Path(id): Path<String>) -> PageResult {
    store::delete(&st.db, &a.ctx, &id).await.page_err(&a)?;
    Ok(Redirect::to("/agencies?done=deleted").into_response())
}

// ---- show ----

#[derive(Template)]
#[template(path = "agencies/show.html")]
struct ShowPage {
    page: Page,
    a: Agency,
    groups: Vec<&'static str>,
    ages: String,
    scenes: Vec<Scene>,
    programs: Vec<Program>,
    can_manage: bool,
    can_propose: bool,
    updated: String,
}

pub fn age_text(min: Option<i64>, max: Option<i64>) -> String {
    match (min, max) {
        (Some(a), Some(b)) => format!("{a}歳〜{b}歳"),
        (Some(a), None) => format!("{a}歳以上"),
        (None, Some(b)) => format!("{b}歳まで"),
        (None, None) => String::new(),
    }
}

async fn show(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let ag = store::get(&st.db, &a.ctx, &id).await.page_err(&a)?;
    let can_manage = policy::can(&a.ctx, Action::ManageAgencies);
    let (scenes, programs) = if can_manage {
        (
            store::scenes(&st.db, &a.ctx).await.page_err(&a)?,
            store::programs(&st.db, &a.ctx).await.page_err(&a)?,
        )
    } else {
        (vec![], vec![])
    };
    Ok(render(&ShowPage {
        page: Page::for_auth(ag.input.name.clone(), &a).notice(notice(q.done.as_deref())),
        groups: ag
            .input
            .disease_groups
            .iter()
            .map(|g| super::model::disease_group_label(*g))
            .collect(),
        ages: age_text(ag.input.age_min, ag.input.age_max),
        updated: crate::time::format_datetime(&ag.updated_at),
        can_propose: policy::can(&a.ctx, Action::ProposeAgencyChange)
            && a.ctx.agency_id.as_deref() == Some(ag.id.as_str()),
        a: ag,
        scenes,
        programs,
        can_manage,
    }))
}

async fn mine(a: Auth) -> PageResult {
    match &a.ctx.agency_id {
        Some(id) if a.ctx.role == Role::Partner => {
            Ok(Redirect::to(&format!("/agencies/{id}")).into_response())
        }
        _ => Err(AppError::NotFound).page_err(&a),
    }
}

pub struct HistoryRow {
    pub e: HistoryEntry,
    pub at: String,
    pub action: &'static str,
}

#[derive(Template)]
#[template(path = "agencies/history.html")]
struct HistoryPage {
    page: Page,
    id: String,
    name: String,
    rows: Vec<HistoryRow>,
}

async fn history(State(st): State<AppState>, a: Auth, Path(id): Path<String>) -> PageResult {
    let ag = store::get(&st.db, &a.ctx, &id).await.page_err(&a)?;
    let rows = store::history(&st.db, &a.ctx, &id)
        .await
        .page_err(&a)?
        .into_iter()
        .map(|e| HistoryRow {
            at: crate::time::format_datetime(&e.changed_at),
            action: match e.action.as_str() {
                "create" => "登録",
                "update" => "編集",
                "import" => "取り込み",
                "import_merge" => "取り込み（統合）",
                "proposal_approved" => "窓口担当者の提案を反映",
                "delete" => "削除",
                _ => "変更",
            },
            e,
        })
        .collect();
    Ok(render(&HistoryPage {
        page: Page::for_auth(format!("変更履歴: {}", ag.input.name), &a),
        id,
        name: ag.input.name,
        rows,
    }))
}

// ---- scenes ----

async fn scene_set(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    let p = pairs(&body);
    store::set_scene_link(
        &st.db,
        &a.ctx,
        &one(&p, "scene_id"),
        &id,
        &one(&p, "method"),
        &one(&p, "content"),
    )
    .await
    .page_err(&a)?;
    let back = one(&p, "back");
    let to = if back.starts_with("/agencies/scenes/") {
        back
    } else {
        format!("/agencies/{id}?done=scene#scenes")
    };
    Ok(Redirect::to(&to).into_response())
}

async fn scene_add(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    let p = pairs(&body);
    store::set_scene_link(
        &st.db,
        &a.ctx,
        &id,
        &one(&p, "agency_id"),
        &one(&p, "method"),
        &one(&p, "content"),
    )
    .await
    .page_err(&a)?;
    Ok(Redirect::to(&format!("/agencies/scenes/{id}")).into_response())
}

async fn scene_remove(
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
struct ViewQuery {
    #[serde(default)]
    view: String,
}

async fn matrix(State(st): State<AppState>, a: Auth, Query(v): Query<ViewQuery>) -> PageResult {
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

async fn scene_page(State(st): State<AppState>, a: Auth, Path(id): Path<String>) -> PageResult {
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

// ---- programs ----

async fn program_link(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    let p = pairs(&body);
    store::link_program(&st.db, &a.ctx, &id, &one(&p, "program_id"), true)
        .await
        .page_err(&a)?;
    Ok(Redirect::to(&format!("/agencies/{id}?done=program#programs")).into_response())
}

async fn program_unlink(
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
}

async fn programs_page(
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
    }))
}

async fn program_add(State(st): State<AppState>, a: Auth, body: Bytes) -> PageResult {
    let p = pairs(&body);
    match store::add_program(
        &st.db,
        &a.ctx,
        &one(&p, "name"),
        &one(&p, "overview"),
        &one(&p, "owner"),
    )
    .await
    {
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
                },
            ))
        }
        Err(e) => Err(e).page_err(&a),
    }
}

// ---- lists ----

#[derive(Template)]
#[template(path = "agencies/settings.html")]
struct SettingsPage {
    page: Page,
    fields: String,
    scenes: String,
    errors: Vec<FieldError>,
}

async fn settings(State(st): State<AppState>, a: Auth, Query(q): Query<ListQuery>) -> PageResult {
    policy::require(&a.ctx, Action::AdministerRegistry).page_err(&a)?;
    let fields = store::fields(&st.db, &a.ctx).await.page_err(&a)?.join("\n");
    let scenes = store::scenes(&st.db, &a.ctx)
        .await
        .page_err(&a)?
        .into_iter()
        .map(|s| s.name)
        .collect::<Vec<_>>()
        .join("\n");
    Ok(render(&SettingsPage {
        page: Page::for_auth("分野と連携場面の一覧", &a).notice(notice(q.done.as_deref())),
        fields,
        scenes,
        errors: vec![],
    }))
}

async fn settings_save(
    State(st): State<AppState>,
    a: Auth,
    Path(kind): Path<String>,
    body: Bytes,
) -> PageResult {
    let p = pairs(&body);
    let kind = match kind.as_str() {
        "fields" => ListKind::Fields,
        "scenes" => ListKind::Scenes,
        _ => return Err(AppError::NotFound).page_err(&a),
    };
    let names: Vec<String> = one(&p, "names").lines().map(str::to_string).collect();
    match store::set_list(&st.db, &a.ctx, kind, &names).await {
        Ok(()) => Ok(Redirect::to("/agencies/settings?done=lists").into_response()),
        Err(AppError::Validation(errors)) => {
            let fields = store::fields(&st.db, &a.ctx).await.page_err(&a)?.join("\n");
            let scenes = store::scenes(&st.db, &a.ctx)
                .await
                .page_err(&a)?
                .into_iter()
                .map(|s| s.name)
                .collect::<Vec<_>>()
                .join("\n");
            Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &SettingsPage {
                    page: Page::for_auth("分野と連携場面の一覧", &a),
                    fields,
                    scenes,
                    errors,
                },
            ))
        }
        Err(e) => Err(e).page_err(&a),
    }
}

// ---- import / export ----

#[derive(Template)]
#[template(path = "agencies/import.html")]
struct ImportPage {
    page: Page,
    error: Option<String>,
    preview: Option<Preview>,
    invalid_rows: usize,
    shown_rows: usize,
}

impl ImportPage {
    fn shown(&self) -> &[import::ReadyRow] {
        match &self.preview {
            Some(p) => &p.rows[..self.shown_rows.min(p.rows.len())],
            None => &[],
        }
    }
}

async fn import_form(a: Auth) -> PageResult {
    policy::require(&a.ctx, Action::AdministerRegistry).page_err(&a)?;
    Ok(render(&ImportPage {
        page: Page::for_auth("関係機関の取り込み", &a),
        error: None,
        preview: None,
        invalid_rows: 0,
        shown_rows: 0,
    }))
}

async fn import_upload(State(st): State<AppState>, a: Auth, mut mp: Multipart) -> PageResult {
    policy::require(&a.ctx, Action::AdministerRegistry).page_err(&a)?;
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        match mp.next_field().await {
            Ok(Some(f)) if f.name() == Some("file") => {
                let name = f.file_name().unwrap_or("upload").to_string();
                match f.bytes().await {
                    Ok(b) => file = Some((name, b.to_vec())),
                    Err(_) => return import_error(&a, "ファイルを受け取れませんでした。大きさ（上限 20MB）を確認して、もう一度お試しください。"),
                }
            }
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(_) => return import_error(&a, "ファイルを受け取れませんでした。大きさ（上限 20MB）を確認して、もう一度お試しください。"),
        }
    }
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return import_error(&a, "ファイルを選んでください。");
    };
    match import::preview(&st.db, &a.ctx, &name, &bytes).await {
        Ok(p) => Ok(render(&ImportPage {
            page: Page::for_auth("取り込みの確認", &a),
            invalid_rows: p.invalid_rows(),
            shown_rows: p.rows.len().min(200),
            error: None,
            preview: Some(p),
        })),
        Err(AppError::Validation(errs)) => import_error(
            &a,
            &errs.first().map(|e| e.message.clone()).unwrap_or_default(),
        ),
        Err(e) => Err(e).page_err(&a),
    }
}

fn import_error(a: &Auth, msg: &str) -> PageResult {
    Ok(render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &ImportPage {
            page: Page::for_auth("関係機関の取り込み", a),
            error: Some(msg.to_string()),
            preview: None,
            invalid_rows: 0,
            shown_rows: 0,
        },
    ))
}

#[derive(Template)]
#[template(path = "agencies/imported.html")]
struct ImportedPage {
    page: Page,
    o: import::Outcome,
}

async fn import_commit(
    State(st): State<AppState>,
    a: Auth,
    Path(batch): Path<String>,
    body: Bytes,
) -> PageResult {
    let p = pairs(&body);
    let merge = one(&p, "merge") == "1";
    let outcome = import::commit(&st.db, &a.ctx, &batch, merge, false)
        .await
        .page_err(&a)?;
    Ok(render(&ImportedPage {
        page: Page::for_auth("取り込みが完了しました", &a),
        o: outcome,
    }))
}

#[derive(Deserialize)]
struct ExportQuery {
    #[serde(default)]
    format: String,
}

async fn export(State(st): State<AppState>, a: Auth, Query(q): Query<ExportQuery>) -> PageResult {
    policy::require(&a.ctx, Action::ViewAgencies).page_err(&a)?;
    let (bytes, ctype, name) = super::export::export_file(&st.db, &a.ctx, &q.format)
        .await
        .page_err(&a)?;
    crate::audit::record(
        &st.db,
        crate::audit::Entry::new(
            &a.ctx,
            a.ctx.tenant_id.as_deref(),
            "agency.export",
            "registry",
            &q.format,
        )
        .detail(&name),
    )
    .await
    .page_err(&a)?;
    Ok(crate::web::download::download(bytes, ctype, &name))
}

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

async fn propose_form(State(st): State<AppState>, a: Auth, Path(id): Path<String>) -> PageResult {
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

async fn propose_submit(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    let p = pairs(&body);
    let (input, _) = input_from_form(&p);
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

async fn proposals_page(
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

async fn proposal_decide(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    let p = pairs(&body);
    let approve = one(&p, "decision") == "approve";
    match store::decide(&st.db, &a.ctx, &id, approve, &one(&p, "reason")).await {
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
