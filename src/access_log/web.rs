//! The audit log page and API (read only).

use askama::Template;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use super::store::LogEntry;
use crate::web::api::{ApiAuth, ApiResult, Items};
use crate::web::pages::{render, Auth, Page, PageResult, WithCtx};
use crate::web::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/audit", get(audit_page))
}

pub fn api_routes() -> Router<AppState> {
    Router::new().route("/audit", get(api_audit))
}

const PAGE_SIZE: i64 = 100;

#[derive(Deserialize)]
struct Cursor {
    before: Option<String>,
}

fn parse_cursor(c: &Cursor) -> Option<i64> {
    c.before.as_deref().and_then(|b| b.trim().parse().ok())
}

pub struct Row {
    pub e: LogEntry,
    pub at: String,
    pub action_label: &'static str,
}

pub fn action_label(action: &str) -> &'static str {
    match action {
        "auth.sign_in" => "ログイン",
        "auth.sign_out" => "ログアウト",
        "auth.sign_in_failed" => "ログイン失敗",
        "auth.sign_in_throttled" => "ログイン試行の制限",
        "auth.sign_out_everywhere" => "すべての端末からログアウト",
        "user.change_password" => "パスワード変更",
        "user.create" => "利用者の登録",
        "user.disable" => "利用者の無効化",
        "user.enable" => "利用者の有効化",
        "user.reset_password" => "パスワード再設定",
        "tenant.create" => "実施主体の登録",
        "demo.reset" => "デモデータの作成",
        _ => "",
    }
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    page: Page,
    rows: Vec<Row>,
    next: Option<i64>,
}

async fn audit_page(State(st): State<AppState>, a: Auth, Query(c): Query<Cursor>) -> PageResult {
    let entries = super::store::list(&st.db, &a.ctx, parse_cursor(&c), PAGE_SIZE)
        .await
        .page_err(&a)?;
    let next = (entries.len() as i64 == PAGE_SIZE)
        .then(|| entries.last().map(|e| e.seq))
        .flatten();
    let rows = entries
        .into_iter()
        .map(|e| Row {
            at: crate::time::format_datetime(&e.at),
            action_label: action_label(&e.action),
            e,
        })
        .collect();
    Ok(render(&AuditPage {
        page: Page::for_auth("監査ログ", &a),
        rows,
        next,
    }))
}

async fn api_audit(
    State(st): State<AppState>,
    a: ApiAuth,
    Query(c): Query<Cursor>,
) -> ApiResult<Items<LogEntry>> {
    let items = super::store::list(&st.db, &a.ctx, parse_cursor(&c), PAGE_SIZE).await?;
    let next_cursor = (items.len() as i64 == PAGE_SIZE)
        .then(|| items.last().map(|e| e.seq.to_string()))
        .flatten();
    Ok(Json(Items::page(items, next_cursor)))
}
