//! /account/totp: setting up the second factor (a new secret as a QR code and as text,
//! confirmed with a code from the app; the recovery codes shown once), its state, and new
//! recovery codes. Administrators are sent here after sign-in until it is set up.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use super::form::{Form, Query};
use super::pages::{render_status, Auth, Page, PageResult, WithCtx};
use super::AppState;
use crate::auth::totp;
use crate::AppError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/account/totp", get(totp_page).post(totp_submit))
        .route("/account/totp/tenant", axum::routing::post(tenant_submit))
}

#[derive(Template)]
#[template(path = "account/totp.html")]
struct TotpPage {
    page: Page,
    required: bool,
    enabled: bool,
    codes_left: i64,
    secret: String,
    secret_spaced: String,
    qr: String,
    error: Option<String>,
    /// Shown once, right after the set-up.
    recovery: Vec<String>,
    /// A tenant_admin may require it of every user of the tenant.
    can_require: bool,
    tenant_requires: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TotpQuery {
    required: Option<String>,
    done: Option<String>,
}

fn spaced(s: &str) -> String {
    s.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

async fn view(
    st: &AppState,
    a: &Auth,
    required: bool,
    secret: Option<String>,
    error: Option<String>,
    recovery: Vec<String>,
    notice: Option<String>,
) -> PageResult {
    let f = totp::factor(&st.db, &a.ctx.user_id).await.page_err(a)?;
    let enabled = f.secret.is_some();
    let secret = if enabled {
        String::new()
    } else {
        secret.unwrap_or_else(totp::new_secret)
    };
    let qr = if enabled {
        String::new()
    } else {
        totp::url(&secret, &a.ctx.login)
            .map(|u| totp::qr_svg(&u))
            .unwrap_or_default()
    };
    Ok(render_status(
        if error.is_some() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        },
        &TotpPage {
            page: Page::for_auth("2段階認証", a).notice(notice),
            required: required && !enabled,
            enabled,
            codes_left: totp::codes_left(&st.db, &a.ctx.user_id).await.page_err(a)?,
            secret_spaced: spaced(&secret),
            secret,
            qr,
            error,
            recovery,
            can_require: a.ctx.tenant_id.is_some()
                && crate::auth::policy::can(&a.ctx, crate::auth::Action::ManageUsers),
            tenant_requires: totp::tenant_requires(&st.db, &a.ctx).await.page_err(a)?,
        },
    ))
}

async fn totp_page(State(st): State<AppState>, a: Auth, Query(q): Query<TotpQuery>) -> PageResult {
    let notice = q
        .done
        .is_some()
        .then(|| "この実施主体の2段階認証の設定を変えました。".to_string());
    view(&st, &a, q.required.is_some(), None, None, vec![], notice).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TenantForm {
    require: String,
}

async fn tenant_submit(
    State(st): State<AppState>,
    a: Auth,
    Form(f): Form<TenantForm>,
) -> PageResult {
    totp::set_tenant_requires(&st.db, &a.ctx, f.require == "all")
        .await
        .page_err(&a)?;
    Ok(axum::response::IntoResponse::into_response(
        axum::response::Redirect::to("/account/totp?done=tenant"),
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TotpForm {
    secret: String,
    code: String,
}

async fn totp_submit(
    State(st): State<AppState>,
    a: Auth,
    axum::Extension(s): axum::Extension<super::Session>,
    Form(f): Form<TotpForm>,
) -> PageResult {
    match totp::enrol(&st.db, &a.ctx, &f.secret, &f.code, &s.addr).await {
        Ok(codes) => view(&st, &a, false, None, None, codes, None).await,
        Err(AppError::Validation(e)) => {
            let msg = e.first().map(|x| x.message.clone());
            view(&st, &a, true, Some(f.secret), msg, vec![], None).await
        }
        Err(e) => Err(e).page_err(&a),
    }
}
