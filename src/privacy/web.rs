//! Pages of retention and the family's rights (事業担当者 only): `/privacy` (the closed
//! cases, finding a child), `/settings/retention`, a child's disclosure document
//! `/privacy/children/{id}` with its A4 print and JSON file, closing and reopening the
//! case, and erasure on request (a page of its own, the name typed again).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use super::document::{self, Shown};
use super::model::{self, CloseForm, EraseForm, RetentionForm, CLOSE_REASONS};
use super::store::{self, Channel, Retention};
use crate::cases::store::{ChildFilter, ChildSummary};
use crate::error::FieldError;
use crate::time;
use crate::web::form::{Form, Query};
use crate::web::pages::{render, render_status, Auth, Page, PageResult, WithCtx};
use crate::web::AppState;
use crate::AppError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/privacy", get(index))
        .route(
            "/settings/retention",
            get(retention_page).post(retention_save),
        )
        .route("/privacy/children/{id}", get(child))
        .route("/privacy/children/{id}/print", get(print))
        .route("/privacy/children/{id}/export.json", get(export_json))
        .route("/privacy/children/{id}/close", post(close))
        .route("/privacy/children/{id}/reopen", post(reopen))
        .route("/privacy/children/{id}/erase", get(erase_page).post(erase))
}

fn date_label(stored: &str) -> String {
    time::from_db(stored)
        .map(|t| time::format_wareki(t.with_timezone(&time::jst()).date_naive()))
        .unwrap_or_default()
}

// ---------------------------------------------------------------- /privacy

#[derive(Deserialize, Default)]
#[serde(default)]
struct IndexQuery {
    q: String,
    done: String,
    n: String,
}

struct ClosedRow {
    id: String,
    name: String,
    reading: String,
    closed_on: String,
    reason: &'static str,
    deletable_from: String,
    expired: bool,
}

#[derive(Template)]
#[template(path = "privacy/index.html")]
struct IndexPage {
    page: Page,
    r: Retention,
    q: String,
    found: Option<(Vec<ChildSummary>, i64)>,
    closed: Vec<ClosedRow>,
}

async fn index(State(st): State<AppState>, a: Auth, Query(q): Query<IndexQuery>) -> PageResult {
    let r = store::retention(&st.db, &a.ctx).await.page_err(&a)?;
    let found = if q.q.trim().is_empty() {
        None
    } else {
        let f = ChildFilter {
            q: q.q.clone(),
            limit: Some(50),
            ..Default::default()
        };
        Some(
            crate::cases::store::list_children(&st.db, &a.ctx, &f)
                .await
                .page_err(&a)?,
        )
    };
    let today = time::today_jst();
    let closed = store::closed_cases(&st.db, &a.ctx)
        .await
        .page_err(&a)?
        .into_iter()
        .map(|c| {
            let from = model::deletable_from(&c.since, r.retention_years);
            ClosedRow {
                closed_on: date_label(&c.closed_at),
                reason: model::close_reason_label(&c.close_reason),
                deletable_from: from.map(time::format_wareki).unwrap_or_default(),
                expired: from.is_some_and(|d| d <= today),
                id: c.id,
                name: c.name,
                reading: c.reading,
            }
        })
        .collect();
    let notice = match q.done.as_str() {
        "erased" => Some(format!(
            "記録を削除しました（関連する記録 {} 件）。監査ログには理由と件数だけが残ります。",
            q.n.parse::<i64>().unwrap_or(0)
        )),
        _ => None,
    };
    Ok(render(&IndexPage {
        page: Page::for_auth("個人情報の管理", &a).notice(notice),
        r,
        q: q.q,
        found,
        closed,
    }))
}

// ---------------------------------------------------------------- retention

#[derive(Template)]
#[template(path = "privacy/retention.html")]
struct RetentionPage {
    page: Page,
    r: Retention,
    value: String,
    errors: Vec<FieldError>,
    min: i64,
    max: i64,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Done {
    done: String,
}

async fn retention_view(
    st: &AppState,
    a: &Auth,
    value: Option<String>,
    errors: Vec<FieldError>,
    notice: Option<String>,
) -> PageResult {
    let r = store::retention(&st.db, &a.ctx).await.page_err(a)?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(render_status(
        status,
        &RetentionPage {
            page: Page::for_auth("終結ケースの保存期間", a).notice(notice),
            value: value.unwrap_or_else(|| r.retention_years.to_string()),
            r,
            errors,
            min: model::RETENTION_MIN,
            max: model::RETENTION_MAX,
        },
    ))
}

async fn retention_page(State(st): State<AppState>, a: Auth, Query(d): Query<Done>) -> PageResult {
    let notice = (d.done == "saved").then(|| "保存期間を変更しました。".to_string());
    retention_view(&st, &a, None, vec![], notice).await
}

async fn retention_save(
    State(st): State<AppState>,
    a: Auth,
    Form(f): Form<RetentionForm>,
) -> PageResult {
    match store::set_retention(&st.db, &a.ctx, &f).await {
        Ok(_) => Ok(Redirect::to("/settings/retention?done=saved").into_response()),
        Err(AppError::Validation(e)) => {
            retention_view(&st, &a, Some(f.retention_years), e, None).await
        }
        Err(e) => Err(e).page_err(&a),
    }
}

// ---------------------------------------------------------------- one child

#[derive(Deserialize, Default)]
#[serde(default)]
struct ChildQuery {
    done: String,
    error: String,
}

/// The case's state as the page shows it.
struct CaseState {
    status: &'static str,
    closed: bool,
    closed_on: String,
    reason: &'static str,
    years: i64,
    deletable_from: String,
}

#[derive(Template)]
#[template(path = "privacy/child.html")]
struct ChildPage {
    page: Page,
    print: bool,
    id: String,
    name: String,
    reading: String,
    tenant: String,
    generated: String,
    prepared_by: String,
    state: CaseState,
    sections: Vec<Shown>,
    reasons: &'static [(&'static str, &'static str)],
    error: Option<&'static str>,
}

async fn child_view(st: &AppState, a: &Auth, id: &str, how: Channel, q: ChildQuery) -> PageResult {
    let d = store::disclosure(&st.db, &a.ctx, id, how)
        .await
        .page_err(a)?;
    let years = store::retention_years(&st.db, &a.ctx).await.page_err(a)?;
    let status = d.child_field("status");
    let closed_at = d.child_field("closed_at");
    let since = model::closed_since(
        &status,
        Some(closed_at.as_str()).filter(|s| !s.is_empty()),
        &d.child_field("updated_at"),
    );
    let state = CaseState {
        status: model::status_label(&status),
        closed: status == model::CLOSED,
        closed_on: date_label(&closed_at),
        reason: model::close_reason_label(&d.child_field("close_reason")),
        years,
        deletable_from: since
            .as_deref()
            .and_then(|s| model::deletable_from(s, years))
            .map(time::format_wareki)
            .unwrap_or_default(),
    };
    let notice = match q.done.as_str() {
        "closed" => {
            Some("支援を終結しました。保存期間が過ぎると yorube purge で削除されます。".into())
        }
        "reopened" => Some("支援を再開しました。".into()),
        _ => None,
    };
    let error = match q.error.as_str() {
        "reason" => Some("終結の理由を選んでください。"),
        _ => None,
    };
    let print = how == Channel::Print;
    let title = if print {
        "保有個人情報の開示（写し）"
    } else {
        "保有している記録（開示請求）"
    };
    Ok(render(&ChildPage {
        page: Page::for_auth(title, a).notice(notice),
        print,
        id: id.to_string(),
        name: d.child_field("name"),
        reading: d.child_field("reading"),
        tenant: d.tenant_name.clone(),
        generated: time::format_datetime(&d.generated_at),
        prepared_by: a.ctx.display_name.clone(),
        state,
        sections: document::shown(&d),
        reasons: &CLOSE_REASONS,
        error,
    }))
}

async fn child(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Query(q): Query<ChildQuery>,
) -> PageResult {
    child_view(&st, &a, &id, Channel::Page, q).await
}

async fn print(State(st): State<AppState>, a: Auth, Path(id): Path<String>) -> PageResult {
    child_view(&st, &a, &id, Channel::Print, ChildQuery::default()).await
}

async fn export_json(State(st): State<AppState>, a: Auth, Path(id): Path<String>) -> PageResult {
    let d = store::disclosure(&st.db, &a.ctx, &id, Channel::Json)
        .await
        .page_err(&a)?;
    let body = serde_json::to_vec_pretty(&d.to_json())
        .map_err(|e| AppError::Internal(e.into()))
        .page_err(&a)?;
    let short: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(12)
        .collect();
    let name = format!(
        "disclosure-{}-{short}.json",
        time::today_jst().format("%Y%m%d")
    );
    Ok(crate::web::download::download(
        body,
        "application/json; charset=utf-8",
        &name,
    ))
}

async fn close(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Form(f): Form<CloseForm>,
) -> PageResult {
    match store::close_case(&st.db, &a.ctx, &id, &f).await {
        Ok(()) => Ok(Redirect::to(&format!("/privacy/children/{id}?done=closed")).into_response()),
        Err(AppError::Validation(_)) => {
            Ok(Redirect::to(&format!("/privacy/children/{id}?error=reason#case")).into_response())
        }
        Err(e) => Err(e).page_err(&a),
    }
}

async fn reopen(State(st): State<AppState>, a: Auth, Path(id): Path<String>) -> PageResult {
    store::reopen_case(&st.db, &a.ctx, &id).await.page_err(&a)?;
    Ok(Redirect::to(&format!("/privacy/children/{id}?done=reopened")).into_response())
}

// ---------------------------------------------------------------- erasure

#[derive(Template)]
#[template(path = "privacy/erase.html")]
struct ErasePage {
    page: Page,
    id: String,
    p: store::ErasePreview,
    active: bool,
    f: EraseForm,
    errors: Vec<FieldError>,
}

impl ErasePage {
    fn err(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

async fn erase_view(
    st: &AppState,
    a: &Auth,
    id: &str,
    f: EraseForm,
    errors: Vec<FieldError>,
) -> PageResult {
    let p = store::erase_preview(&st.db, &a.ctx, id).await.page_err(a)?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(render_status(
        status,
        &ErasePage {
            page: Page::for_auth("記録の削除（本人・家族からの請求）", a),
            id: id.to_string(),
            active: p.status != model::CLOSED,
            p,
            f,
            errors,
        },
    ))
}

async fn erase_page(State(st): State<AppState>, a: Auth, Path(id): Path<String>) -> PageResult {
    erase_view(&st, &a, &id, EraseForm::default(), vec![]).await
}

async fn erase(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Form(f): Form<EraseForm>,
) -> PageResult {
    match store::erase_child(&st.db, &a.ctx, &id, &f).await {
        Ok(r) => Ok(Redirect::to(&format!("/privacy?done=erased&n={}", r.rows)).into_response()),
        Err(AppError::Validation(e)) => erase_view(&st, &a, &id, f, e).await,
        Err(e) => Err(e).page_err(&a),
    }
}
