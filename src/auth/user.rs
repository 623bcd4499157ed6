//! The caller as the `users` row names them: the columns every user query reads, the
//! row decoded, and the `Ctx` built from it (sessions, API tokens, the tenants pages).

use serde::Serialize;
use sqlx::Row;

use super::{Ctx, Role, Tenancy};
use crate::db::Db;
use crate::error::AppResult;

#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: String,
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub role_label: &'static str,
    pub tenant_id: Option<String>,
    pub tenant_code: Option<String>,
    pub tenant_name: Option<String>,
    pub disabled: bool,
    pub created_at: String,
    pub agency_id: Option<String>,
}

/// The columns of `User`, with the FROM clause (add WHERE … after it).
pub const USER_COLS: &str = "u.id, u.login, u.display_name, u.role, u.tenant_id, t.code AS tenant_code, \
     t.name AS tenant_name, u.disabled_at, u.created_at, u.agency_id FROM users u LEFT JOIN tenants t ON t.id = u.tenant_id";

/// A row selected with `USER_COLS`. An unknown role reads as the auditor's (read-only).
pub fn user_from_row(r: &sqlx::any::AnyRow) -> AppResult<User> {
    let role_text: String = r.try_get("role")?;
    let role = Role::parse(&role_text).unwrap_or(Role::Auditor);
    Ok(User {
        id: r.try_get("id")?,
        login: r.try_get("login")?,
        display_name: r.try_get("display_name")?,
        role,
        role_label: role.label(),
        tenant_id: r.try_get("tenant_id")?,
        tenant_code: r.try_get("tenant_code")?,
        tenant_name: r.try_get("tenant_name")?,
        disabled: r.try_get::<Option<String>, _>("disabled_at")?.is_some(),
        created_at: r.try_get("created_at")?,
        agency_id: r.try_get("agency_id")?,
    })
}

/// The caller context of a user loaded from the database.
pub fn user_ctx(u: User) -> Ctx {
    let tenant = match (u.tenant_id, u.tenant_code, u.tenant_name) {
        (Some(id), Some(code), Some(name)) => Some(Tenancy { id, code, name }),
        _ => None,
    };
    Ctx::user(u.id, u.login, u.display_name, u.role, tenant, u.agency_id)
}

/// The caller context from a row selected with `USER_COLS`.
pub fn ctx_from_row(r: &sqlx::any::AnyRow) -> AppResult<Ctx> {
    user_from_row(r).map(user_ctx)
}

/// Loads the caller context of an active user (sessions and tokens use it).
pub async fn load_ctx(db: &Db, user_id: &str) -> AppResult<Option<Ctx>> {
    let row = sqlx::query(&format!(
        "SELECT {USER_COLS} WHERE u.id = $1 AND u.disabled_at IS NULL"
    ))
    .bind(user_id)
    .fetch_optional(&db.pool)
    .await?;
    row.as_ref().map(ctx_from_row).transpose()
}
