//! The signed-in user's own account pages: /account/password (also the forced change
//! after an administrator's reset), /account/sessions (notices, sessions, sign out
//! everywhere).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use serde::Deserialize;

use super::csrf::{removal, set_cookie};
use super::form::{Form, Query};
use super::pages::{render, render_status, Auth, Page, PageResult, WithCtx};
use super::{AppState, Session};
use crate::auth::{account, session, sha256_hex};
use crate::AppError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/account/password",
            get(password_form).post(password_submit),
        )
        .route("/account/sessions", get(sessions_page))
        .route("/account/sessions/end-all", post(end_all))
        .route("/account/notices/read", post(notices_read))
}

#[derive(Template)]
#[template(path = "account/password.html")]
struct PasswordPage {
    page: Page,
    login: String,
    required: bool,
    error: Option<String>,
    min_len: usize,
}

#[derive(Deserialize)]
struct PasswordQuery {
    required: Option<String>,
    done: Option<String>,
}

async fn password_form(
    a: Auth,
    Extension(s): Extension<Session>,
    Query(q): Query<PasswordQuery>,
) -> Response {
    let notice = q
        .done
        .is_some()
        .then(|| "パスワードを変更しました。".to_string());
    render(&PasswordPage {
        page: Page::for_auth("パスワードの変更", &a).notice(notice),
        login: a.ctx.login.clone(),
        required: q.required.is_some() || s.must_change_password,
        error: None,
        min_len: crate::validate::PASSWORD_MIN_CHARS,
    })
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

async fn password_submit(
    State(st): State<AppState>,
    a: Auth,
    Extension(s): Extension<Session>,
    Form(f): Form<PasswordForm>,
) -> PageResult {
    let result = if f.password != f.confirm {
        Err(AppError::invalid(
            "confirm",
            "確認のために入力した新しいパスワードが一致しません。",
        ))
    } else {
        let keep = s.token.as_deref().map(sha256_hex);
        account::change_password(&st.db, &a.ctx, &f.current, &f.password, keep.as_deref()).await
    };
    match result {
        Ok(()) => Ok(Redirect::to("/account/password?done=1").into_response()),
        Err(e @ (AppError::Validation(_) | AppError::Busy(_))) => {
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
            let msg = match &e {
                AppError::Validation(errs) => errs.first().map(|x| x.message.clone()),
                other => Some(other.to_string()),
            };
            Ok(render_status(
                status,
                &PasswordPage {
                    page: Page::for_auth("パスワードの変更", &a),
                    login: a.ctx.login.clone(),
                    required: s.must_change_password,
                    error: msg,
                    min_len: crate::validate::PASSWORD_MIN_CHARS,
                },
            ))
        }
        Err(e) => Err(e).page_err(&a),
    }
}

#[derive(Template)]
#[template(path = "account/sessions.html")]
struct SessionsPage {
    page: Page,
    notices: Vec<account::Notice>,
    unread: bool,
    sessions: Vec<account::SessionInfo>,
}

#[derive(Deserialize)]
struct SessionsQuery {
    done: Option<String>,
}

async fn sessions_page(
    State(st): State<AppState>,
    a: Auth,
    Extension(s): Extension<Session>,
    Query(q): Query<SessionsQuery>,
) -> PageResult {
    let notices = account::notices(&st.db, &a.ctx).await.page_err(&a)?;
    let sessions = account::sessions(&st.db, &a.ctx, s.token.as_deref())
        .await
        .page_err(&a)?;
    let notice = q
        .done
        .is_some()
        .then(|| "お知らせを確認済みにしました。".to_string());
    Ok(render(&SessionsPage {
        page: Page::for_auth("アカウント", &a).notice(notice),
        unread: notices.iter().any(|n| n.unread),
        notices,
        sessions,
    }))
}

async fn end_all(
    State(st): State<AppState>,
    a: Auth,
    Extension(s): Extension<Session>,
) -> PageResult {
    account::end_everywhere(&st.db, &a.ctx).await.page_err(&a)?;
    let mut res = Redirect::to("/login?bye=1").into_response();
    set_cookie(&mut res, removal(session::COOKIE, s.secure));
    Ok(res)
}

async fn notices_read(State(st): State<AppState>, a: Auth) -> PageResult {
    account::mark_read(&st.db, &a.ctx).await.page_err(&a)?;
    Ok(Redirect::to("/account/sessions?done=1").into_response())
}
