//! One agency's page and its history.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};

use super::list::{notice, ListQuery};
use crate::agencies::store::{self, Agency, HistoryEntry, Program, Scene};
use crate::auth::{policy, Action, Role};
use crate::web::pages::{render, Auth, Page, PageResult, WithCtx};
use crate::web::AppState;
use crate::AppError;

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

pub(super) async fn show(
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
            .map(|g| crate::agencies::model::disease_group_label(*g))
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

pub(super) async fn mine(a: Auth) -> PageResult {
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

pub(super) async fn history(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
) -> PageResult {
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
