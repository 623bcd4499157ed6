//! The follow-ups page: what is due.

use askama::Template;
use axum::extract::{Query, State};
use serde::Deserialize;

use super::{notice, wareki};
use crate::cases::store::{self, Due};
use crate::web::pages::{render, Auth, Page, PageResult, WithCtx};
use crate::web::AppState;

#[derive(Template)]
#[template(path = "cases/follow_ups.html")]
struct FollowUpsPage {
    page: Page,
    items: Vec<(Due, String)>,
    mine: bool,
    days: i64,
    overdue: usize,
}

#[derive(Deserialize, Default)]
pub(super) struct DueQuery {
    days: Option<i64>,
    #[serde(default)]
    all: bool,
    done: Option<String>,
}

pub(super) async fn follow_ups_page(
    State(st): State<AppState>,
    a: Auth,
    Query(q): Query<DueQuery>,
) -> PageResult {
    let days = q.days.unwrap_or(60).clamp(1, 365);
    let mine = !q.all;
    let items = store::due_list(&st.db, &a.ctx, days, mine)
        .await
        .page_err(&a)?;
    let overdue = items.iter().filter(|d| d.overdue).count();
    Ok(render(&FollowUpsPage {
        page: Page::for_auth("フォローアップ", &a).notice(notice(q.done.as_deref())),
        items: items
            .into_iter()
            .map(|d| (wareki(&d.due_date), d))
            .map(|(w, d)| (d, w))
            .collect(),
        mine,
        days,
        overdue,
    }))
}
