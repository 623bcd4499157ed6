//! The registry list and its search.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::options;
use crate::agencies::model::DISEASE_GROUPS;
use crate::agencies::search::{Hits, Query as SearchQuery};
use crate::agencies::store::{self, Scene};
use crate::auth::{policy, Action, Role};
use crate::web::form::Opt;
use crate::web::pages::{render, urlencode, Auth, Page, PageResult, WithCtx};
use crate::web::AppState;

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
    pub(super) done: Option<String>,
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

pub(super) fn notice(done: Option<&str>) -> Option<String> {
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

pub(super) async fn list(
    State(st): State<AppState>,
    a: Auth,
    Query(q): Query<ListQuery>,
) -> PageResult {
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
