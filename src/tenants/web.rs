//! Pages and API for users and tenants.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde::Deserialize;

use super::{NewTenant, NewUser, Tenant, TenantKind, User};
use crate::auth::{policy, Action, Role};
use crate::error::FieldError;
use crate::web::api::{ApiAuth, ApiError, ApiJson, ApiResult, Items};
use crate::web::pages::{render, render_status, Auth, Page, PageResult, WithCtx};
use crate::web::AppState;
use crate::AppError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/users", get(users_page).post(users_create))
        .route("/users/new", get(user_new_page))
        .route("/users/{id}", get(user_page))
        .route("/users/{id}/disable", post(user_disable))
        .route("/users/{id}/enable", post(user_enable))
        .route("/users/{id}/password", post(user_password))
        .route("/tenants", get(tenants_page).post(tenants_create))
}

pub fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/users", get(api_users).post(api_user_create))
        .route("/users/{id}", get(api_user))
        .route("/tenants", get(api_tenants).post(api_tenant_create))
        .route("/tenants/{code}", get(api_tenant))
}

#[derive(Deserialize)]
struct Notice {
    done: Option<String>,
}

fn notice_text(done: Option<&str>) -> Option<String> {
    Some(
        match done? {
            "created" => "利用者を登録しました。",
            "disabled" => "アカウントを無効にしました。ログイン中のセッションとAPIトークンも無効になりました。",
            "enabled" => "アカウントを有効にしました。",
            "password" => "パスワードを再設定しました。本人に新しいパスワードを安全な方法で伝えてください。",
            "tenant" => "実施主体を登録しました。",
            _ => return None,
        }
        .to_string(),
    )
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    page: Page,
    users: Vec<User>,
    can_manage: bool,
}

async fn users_page(State(st): State<AppState>, a: Auth, Query(n): Query<Notice>) -> PageResult {
    let users = super::list_users(&st.db, &a.ctx).await.page_err(&a)?;
    Ok(render(&UsersPage {
        page: Page::for_auth("利用者", &a).notice(notice_text(n.done.as_deref())),
        can_manage: policy::can(&a.ctx, Action::ManageUsers),
        users,
    }))
}

pub struct RoleOption {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "admin/user_new.html")]
struct UserNewPage {
    page: Page,
    form: UserForm,
    roles: Vec<RoleOption>,
    errors: Vec<FieldError>,
    tenant_suffix: String,
    is_system_admin: bool,
}

#[derive(Deserialize, Default)]
struct UserForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    tenant: String,
}

fn role_options(selected: &str, include_sysadmin: bool) -> Vec<RoleOption> {
    Role::ALL
        .into_iter()
        .filter(|r| include_sysadmin || *r != Role::SystemAdmin)
        .map(|r| RoleOption {
            value: r.as_str(),
            label: r.label(),
            selected: r.as_str() == selected,
        })
        .collect()
}

fn user_new(a: &Auth, form: UserForm, errors: Vec<FieldError>) -> UserNewPage {
    UserNewPage {
        page: Page::for_auth("利用者の登録", a),
        roles: role_options(&form.role, a.ctx.is_system_admin()),
        form: UserForm {
            password: String::new(),
            ..form
        },
        errors,
        tenant_suffix: a
            .ctx
            .tenant_code
            .clone()
            .map(|c| format!("@{c}"))
            .unwrap_or_default(),
        is_system_admin: a.ctx.is_system_admin(),
    }
}

async fn user_new_page(a: Auth) -> PageResult {
    policy::require(&a.ctx, Action::ManageUsers).page_err(&a)?;
    Ok(render(&user_new(&a, UserForm::default(), vec![])))
}

async fn users_create(State(st): State<AppState>, a: Auth, Form(f): Form<UserForm>) -> PageResult {
    policy::require(&a.ctx, Action::ManageUsers).page_err(&a)?;
    let n = NewUser {
        login: f.login.clone(),
        display_name: f.display_name.clone(),
        role: f.role.clone(),
        password: f.password.clone(),
        tenant_code: Some(f.tenant.clone()),
    };
    match super::create_user(&st.db, &a.ctx, n).await {
        Ok(u) => Ok(Redirect::to(&format!("/users/{}?done=created", u.id)).into_response()),
        Err(AppError::Validation(errs)) => Ok(render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &user_new(&a, f, errs),
        )),
        Err(e) => Err(e).page_err(&a),
    }
}

#[derive(Template)]
#[template(path = "admin/user.html")]
struct UserPage {
    page: Page,
    user: User,
    can_manage: bool,
    is_self: bool,
    error: Option<String>,
}

async fn user_page(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Query(n): Query<Notice>,
) -> PageResult {
    let user = super::get_user(&st.db, &a.ctx, &id).await.page_err(&a)?;
    Ok(render(&UserPage {
        page: Page::for_auth(format!("利用者: {}", user.display_name), &a)
            .notice(notice_text(n.done.as_deref())),
        can_manage: policy::can(&a.ctx, Action::ManageUsers),
        is_self: user.id == a.ctx.user_id,
        user,
        error: None,
    }))
}

async fn user_disable(State(st): State<AppState>, a: Auth, Path(id): Path<String>) -> PageResult {
    super::set_disabled(&st.db, &a.ctx, &id, true)
        .await
        .page_err(&a)?;
    Ok(Redirect::to(&format!("/users/{id}?done=disabled")).into_response())
}

async fn user_enable(State(st): State<AppState>, a: Auth, Path(id): Path<String>) -> PageResult {
    super::set_disabled(&st.db, &a.ctx, &id, false)
        .await
        .page_err(&a)?;
    Ok(Redirect::to(&format!("/users/{id}?done=enabled")).into_response())
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    password: String,
}

async fn user_password(
    State(st): State<AppState>,
    a: Auth,
    Path(id): Path<String>,
    Form(f): Form<PasswordForm>,
) -> PageResult {
    match super::reset_password(&st.db, &a.ctx, &id, &f.password, true).await {
        Ok(()) => Ok(Redirect::to(&format!("/users/{id}?done=password")).into_response()),
        Err(AppError::Validation(errs)) => {
            let user = super::get_user(&st.db, &a.ctx, &id).await.page_err(&a)?;
            Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &UserPage {
                    page: Page::for_auth(format!("利用者: {}", user.display_name), &a),
                    can_manage: true,
                    is_self: user.id == a.ctx.user_id,
                    user,
                    error: errs.first().map(|e| e.message.clone()),
                },
            ))
        }
        Err(e) => Err(e).page_err(&a),
    }
}

pub struct KindOption {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "admin/tenants.html")]
struct TenantsPage {
    page: Page,
    tenants: Vec<Tenant>,
    kinds: Vec<KindOption>,
    form: TenantForm,
    errors: Vec<FieldError>,
}

#[derive(Deserialize, Default)]
struct TenantForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
}

async fn tenants_page_with(
    st: &AppState,
    a: &Auth,
    form: TenantForm,
    errors: Vec<FieldError>,
    notice: Option<String>,
) -> Result<TenantsPage, crate::web::pages::PageError> {
    policy::require(&a.ctx, Action::ManageTenants).page_err(a)?;
    let tenants = super::list_tenants(&st.db, &a.ctx).await.page_err(a)?;
    Ok(TenantsPage {
        page: Page::for_auth("実施主体", a).notice(notice),
        kinds: TenantKind::ALL
            .into_iter()
            .map(|k| KindOption {
                value: k.as_str(),
                label: k.label(),
                selected: k.as_str() == form.kind,
            })
            .collect(),
        tenants,
        form,
        errors,
    })
}

async fn tenants_page(State(st): State<AppState>, a: Auth, Query(n): Query<Notice>) -> PageResult {
    let p = tenants_page_with(
        &st,
        &a,
        TenantForm::default(),
        vec![],
        notice_text(n.done.as_deref()),
    )
    .await?;
    Ok(render(&p))
}

async fn tenants_create(
    State(st): State<AppState>,
    a: Auth,
    Form(f): Form<TenantForm>,
) -> PageResult {
    let n = NewTenant {
        code: f.code.clone(),
        name: f.name.clone(),
        kind: f.kind.clone(),
    };
    match super::create_tenant(&st.db, &a.ctx, n).await {
        Ok(_) => Ok(Redirect::to("/tenants?done=tenant").into_response()),
        Err(AppError::Validation(errs)) => {
            let p = tenants_page_with(&st, &a, f, errs, None).await?;
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &p))
        }
        Err(e) => Err(e).page_err(&a),
    }
}

// ---- API ----

async fn api_users(State(st): State<AppState>, a: ApiAuth) -> ApiResult<Items<User>> {
    Ok(Json(Items::page(
        super::list_users(&st.db, &a.ctx).await?,
        None,
    )))
}

async fn api_user(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(id): Path<String>,
) -> ApiResult<User> {
    Ok(Json(super::get_user(&st.db, &a.ctx, &id).await?))
}

#[derive(Deserialize)]
struct ApiNewUser {
    login: String,
    display_name: String,
    role: String,
    password: String,
    tenant: Option<String>,
}

async fn api_user_create(
    State(st): State<AppState>,
    a: ApiAuth,
    ApiJson(n): ApiJson<ApiNewUser>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    let u = super::create_user(
        &st.db,
        &a.ctx,
        NewUser {
            login: n.login,
            display_name: n.display_name,
            role: n.role,
            password: n.password,
            tenant_code: n.tenant,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(u)))
}

async fn api_tenants(State(st): State<AppState>, a: ApiAuth) -> ApiResult<Items<Tenant>> {
    Ok(Json(Items::page(
        super::list_tenants(&st.db, &a.ctx).await?,
        None,
    )))
}

async fn api_tenant(
    State(st): State<AppState>,
    a: ApiAuth,
    Path(code): Path<String>,
) -> ApiResult<Tenant> {
    Ok(Json(
        super::get_tenant_by_code(&st.db, &a.ctx, &code).await?,
    ))
}

#[derive(Deserialize)]
struct ApiNewTenant {
    code: String,
    name: String,
    kind: String,
}

async fn api_tenant_create(
    State(st): State<AppState>,
    a: ApiAuth,
    ApiJson(n): ApiJson<ApiNewTenant>,
) -> Result<(StatusCode, Json<Tenant>), ApiError> {
    let t = super::create_tenant(
        &st.db,
        &a.ctx,
        NewTenant {
            code: n.code,
            name: n.name,
            kind: n.kind,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(t)))
}
